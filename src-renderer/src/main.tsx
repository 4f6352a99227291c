// Placeholder: the live monitor UI (issue: live monitor UI).
import { createRoot } from 'react-dom/client'

const root = document.getElementById('root')
if (root) createRoot(root).render(<p>TaskPulse</p>)
