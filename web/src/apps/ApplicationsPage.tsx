export function ApplicationsPage() {
  return <main><h1>ApplicationsPage</h1></main>;
}
