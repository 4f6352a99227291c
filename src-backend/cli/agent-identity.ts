// Who a hook or exec call reports as, and for which project: `<tool>@<repo or directory>` and the
// git repository's name, found by reading files (no `git` process: a hook has 200 ms in all).
import { readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { AgentIdentity } from './hook-mapping'

const MAX_ASSIGNEE = 256
const MAX_PROJECT = 128

/** Folds what the protocol refuses in names (control characters) and bounds the length. */
export function cleanName(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return Array.from(text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim())
    .slice(0, max)
    .join('')
}

/** The top directory of the git work tree holding `dir`, or null. */
function workTreeRoot(dir: string): { root: string; gitPath: string } | null {
  let current = resolve(dir)
  for (let i = 0; i < 64; i++) {
    const gitPath = join(current, '.git')
    try {
      statSync(gitPath)
      return { root: current, gitPath }
    } catch {
      // not here
    }
    const parent = dirname(current)
    if (parent === current) return null
    current = parent
  }
  return null
}

/** The `origin` remote's repository name from a git config text, e.g. `taskpulse` from `…/taskpulse.git`. */
export function originRepoName(config: string): string | null {
  const section = /\[remote "origin"\]([^[]*)/.exec(config)?.[1]
  const url = section ? /^\s*url\s*=\s*(.+?)\s*$/m.exec(section)?.[1] : undefined
  if (!url) return null
  const name = basename(url.replace(/[/\\]+$/, '')).replace(/\.git$/, '')
  return name && name !== '.' ? name : null
}

/**
 * The repository's name for `dir`: the origin remote's name when there is one (clones named
 * differently still group together), else the main work tree's directory name. A linked worktree
 * (`.git` is a file pointing into `<main>/.git/worktrees/x`) reports its main repository.
 */
export function gitRepoName(dir: string): string | null {
  const found = workTreeRoot(dir)
  if (!found) return null
  let root = found.root
  let gitDir = found.gitPath
  try {
    if (statSync(found.gitPath).isFile()) {
      const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(found.gitPath, 'utf8'))?.[1]
      if (pointer) {
        const target = resolve(found.root, pointer)
        const worktree = /^(.*)[/\\]\.git[/\\]worktrees[/\\][^/\\]+[/\\]?$/.exec(target)
        if (worktree?.[1]) {
          root = worktree[1]
          gitDir = join(worktree[1], '.git')
        } else {
          gitDir = target // a submodule: its own git dir under the superproject's
        }
      }
    }
    const fromOrigin = originRepoName(readFileSync(join(gitDir, 'config'), 'utf8'))
    if (fromOrigin) return fromOrigin
  } catch {
    // no readable config: the directory name will do
  }
  return basename(root) || null
}

export interface IdentityEnv {
  /** TASKPULSE_AGENT: the assignee to report instead of `<tool>@<dir>`. */
  agent?: string | undefined
  /** TASKPULSE_PROJECT: the project to report instead of the repository's name. */
  project?: string | undefined
}

/**
 * `<tool>@<repo or directory name>` and the repository's name, for a call whose working directory
 * is `cwd`. `lookGit: false` (the server route) uses the directory's name only: the server must
 * not read paths a request names, and they may be on another machine anyway.
 */
export function agentIdentity(
  tool: string,
  cwd: string | null,
  env: IdentityEnv,
  lookGit = true,
): AgentIdentity {
  const repo = cwd && lookGit ? gitRepoName(cwd) : null
  const dirName = cwd ? basename(resolve(cwd)) || cwd : null
  const assignee = cleanName(env.agent || `${tool}@${repo ?? dirName ?? 'unknown'}`, MAX_ASSIGNEE)
  const project = cleanName(env.project || repo || (lookGit ? '' : (dirName ?? '')), MAX_PROJECT)
  return { assignee: assignee || tool, projectId: project || null }
}
