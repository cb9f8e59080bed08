export function SettingsRoutes() {
  return <main><h1>SettingsRoutes</h1></main>;
}
