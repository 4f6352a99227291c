// Lint: typescript-eslint with type information (no-floating-promises), React hooks rules, and the
// process boundaries: the renderer never imports node or electron; src-shared imports nothing of
// the others.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'

// Bare module names go in `paths` (a pattern like 'net' would also match a local ./net folder).
const nodeModules = [
  'fs',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'stream',
  'url',
  'util',
  'electron',
]

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      'coverage/**',
      'test-output/**',
      'release/**',
      'bench/results/**',
      '**/*.mjs',
      '**/*.js',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  // Type-aware rules (unsafe any flows, misused promises, ...) for all TypeScript.
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    // Fakes and tests implement Promise-returning interfaces with `async` methods that need no
    // await (an async fake also turns a throw into a rejection, as the real thing does):
    // require-await is about forgotten awaits in real code, which these are not.
    files: ['**/*.test.{ts,tsx}', 'test/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: nodeModules.map((name) => ({ name, message: 'The renderer runs in a browser sandbox.' })),
          patterns: [
            {
              group: ['node:*', '**/src-backend/**', '**/src-main/**'],
              message: 'The renderer runs in a browser sandbox: no node, electron, backend or main imports.',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer reaches the preload bridge through one accessor (net/desktop-bridge.ts).
    files: ['src-renderer/**/*.{ts,tsx}'],
    ignores: ['src-renderer/src/net/desktop-bridge.ts', 'src-renderer/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='desktop'][object.name=/^(window|win|globalThis)$/]",
          message: 'Use desktopBridge() from net/desktop-bridge.ts.',
        },
      ],
    },
  },
  {
    // A sandboxed preload may require nothing but electron: the IPC contract (no runtime imports)
    // yes, the zod schemas no.
    files: ['src-main/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'zod', message: 'The sandboxed preload bundles no zod.' }],
          patterns: [
            {
              group: ['**/src-shared/ipc', '**/src-shared/protocol'],
              allowTypeImports: true,
              message: 'Only types from here: at runtime the preload uses src-shared/ipc-contract.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeModules.map((name) => ({
            name,
            message: 'src-shared is pure TypeScript shared by every process.',
          })),
          patterns: [
            {
              group: ['node:*', '**/src-backend/**', '**/src-main/**', '**/src-renderer/**'],
              message: 'src-shared is pure TypeScript shared by every process.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-backend/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The backend runs under plain Node too.' }],
          patterns: [
            {
              group: ['**/src-main/**', '**/src-renderer/**'],
              message: 'The backend runs under plain Node too: no electron or UI imports.',
            },
          ],
        },
      ],
    },
  },
)
