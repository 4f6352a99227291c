// Renderer entry: boot the parts, render the app.
import './zod-jitless'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { bootApp } from './boot'
import { AppPartsProvider } from './stores/context'
import './styles/app.css'

const root = document.getElementById('root')
if (root) {
  const { parts } = bootApp()
  createRoot(root).render(
    <AppPartsProvider parts={parts}>
      <App />
    </AppPartsProvider>,
  )
}
