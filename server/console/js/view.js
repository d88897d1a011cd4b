// What a page renders into, and what it must undo when the admin moves on (timers, feed
// listeners). A page that finishes loading after the admin left finds `left` set.

import { h, replace } from "./dom.js";
import { errorText } from "./i18n.js";

export class View {
  constructor(root) {
    this.root = root;
    this.left = false;
    this.undo = [];
  }

  onLeave(fn) {
    if (this.left) fn();
    else this.undo.push(fn);
  }

  leave() {
    this.left = true;
    for (const fn of this.undo.splice(0)) fn();
  }

  every(ms, fn) {
    const timer = setInterval(fn, ms);
    this.onLeave(() => clearInterval(timer));
  }
}

// A place for a page's error, read out when it changes (role="alert").
export function errorBox() {
  const box = h("p", { class: "error", role: "alert", hidden: true });
  box.show = (err) => {
    if (!err) {
      box.hidden = true;
      replace(box);
      return;
    }
    box.hidden = false;
    replace(box, errorText(err));
  };
  return box;
}

export const FAILED = Symbol("failed");

// Runs `action`, showing its failure in `box` (and returning FAILED); the button is disabled
// meanwhile.
export async function attempt(box, button, action) {
  box.show(null);
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (err) {
    box.show(err);
    return FAILED;
  } finally {
    if (button) button.disabled = false;
  }
}
