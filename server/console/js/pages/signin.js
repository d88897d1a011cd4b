// Sign in with an admin account. The server answers a user account's email and password like
// any wrong pair (admins are another realm; nothing says which emails exist), so the message
// says plainly that only admin accounts open this console.

import { field, h, heading } from "../dom.js";
import { has, t } from "../i18n.js";
import * as session from "../session.js";
import { FAILED, attempt, errorBox } from "../view.js";

const endedText = (code) => (has(`ended.${code}`) ? t(`ended.${code}`) : t("ended.other"));

export function render(view, { message, onSignedIn }) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password", name: "password", autocomplete: "current-password", required: true,
  });
  const button = h("button", { type: "submit" }, t("signin.submit"));
  const box = errorBox();
  const form = h("form", { class: "card signin", novalidate: true }, heading(t("signin.title")),
    message ? h("p", { class: "notice", role: "status" }, endedText(message)) : null,
    field(t("signin.email"), email), field(t("signin.password"), password), box, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.value || !password.value) {
      box.show({ code: "signin_incomplete" });
      (email.value ? password : email).focus();
      return;
    }
    const done = await attempt(box, button, () => session.signIn(email.value, password.value));
    if (done !== FAILED) onSignedIn();
    else password.select();
  });
  view.root.append(h("div", { class: "signin-wrap" }, form));
  email.focus();
}
