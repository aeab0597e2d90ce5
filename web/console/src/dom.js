// Building the page from elements, never from HTML text: nothing the server sends can become markup.

/**
 * Creates an element. `attrs`: `class`, `onclick` and other `on…` listeners, `dataset`, boolean attributes
 * (true/false), anything else as an attribute. Children: nodes, strings (as text), arrays, null (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'value' && 'value' in el) {
      el.value = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Says something to screen readers and shows it briefly. */
let announced = null;
export function announce(text, kind = 'info') {
  const region = document.getElementById('announcer');
  if (region) {
    region.dataset.kind = kind;
    region.textContent = text;
    clearTimeout(announced);
    announced = setTimeout(() => {
      region.textContent = '';
    }, 8000);
  }
}

/**
 * Asks for confirmation in a modal dialog (focus stays inside it; Escape cancels). Resolves true or false.
 */
export function confirmDialog(title, text, confirmLabel) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, text),
      h(
        'form',
        { method: 'dialog', class: 'actions' },
        h('button', { value: 'cancel', class: 'secondary' }, 'Cancel'),
        h('button', { value: 'confirm', class: 'danger' }, confirmLabel),
      ),
    );
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}
