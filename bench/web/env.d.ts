// Vite's `?url` imports, for the bench page (type-checked with tsconfig.node.json).
declare module '*?url' {
  const url: string;
  export default url;
}
