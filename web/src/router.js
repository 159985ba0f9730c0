// Hash routes (#/chat/ID): the server serves one page, so deep links need no server routes.
import { useEffect, useState } from "preact/hooks";

export function currentRoute() {
  const path = window.location.hash.replace(/^#/, "") || "/chat";
  const [, page = "chat", ...rest] = path.split("/");
  return { page, params: rest.map(decodeURIComponent) };
}

export function navigate(...parts) {
  window.location.hash = "/" + parts.map(encodeURIComponent).join("/");
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
