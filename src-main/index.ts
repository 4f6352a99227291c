// Placeholder: the Electron main process (issue: desktop shell).
export {}
