// Placeholder: the preload bridge (issue: desktop shell).
export {}
