export function UserInfoPage() {
  return <main><h1>UserInfoPage</h1></main>;
}
