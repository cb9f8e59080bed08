export function PreviewPage() {
  return <main><h1>PreviewPage</h1></main>;
}
