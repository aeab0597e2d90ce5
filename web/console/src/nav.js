// Moving between the console's pages without a reload (History API). main.js registers how a page is shown.

let showPage = () => {};

export function onNavigate(show) {
  showPage = show;
}

/** Moves to another address of the console; `replace` keeps Back from returning to the one left. */
export function navigate(url, { replace = false } = {}) {
  if (replace) {
    history.replaceState(null, '', url);
  } else {
    history.pushState(null, '', url);
  }
  showPage();
}
