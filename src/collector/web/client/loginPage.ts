// Sign-in with a bearer token from the collector's --tokens file. The token lives in
// sessionStorage only (gone with the tab). A reviewer certificate or --insecure needs none.
import { ApiError, apiGet, token } from "./api.js";
import { h } from "./dom.js";
import type { SessionResponse } from "../webTypes.js";

export function renderLogin(main: HTMLElement, onSession: (s: SessionResponse) => void, problem = ""): void {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("p", { class: "error", role: "alert" }, problem);
  const form = h(
    "form",
    { class: "login panel", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Sign in to review findings"),
    h("label", { for: "token" }, "Access token"),
    input,
    h(
      "p",
      { class: "hint" },
      "A token from the collector's tokens file (ask whoever runs driftguard). With a reviewer certificate in your browser you are signed in without one.",
    ),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    apiGet<SessionResponse>("/api/session").then(onSession, (e: Error) => {
      token.clear();
      error.textContent =
        e instanceof ApiError && e.status === 401 ? "The collector does not know this token." : e.message;
      input.focus();
    });
  });
  main.replaceChildren(form);
  input.focus();
}
