export function ApplicationDetailsPage() {
  return <main><h1>ApplicationDetailsPage</h1></main>;
}
