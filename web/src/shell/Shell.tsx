/** The frame around every signed-in page: navigation, user, theme; pages render in <Outlet/>. */
import { Outlet } from "react-router-dom";

export function Shell() {
  return (
    <div className="shell">
      <Outlet />
    </div>
  );
}
