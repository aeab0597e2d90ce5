// A log of any length in a fixed number of elements: only the rows in view (and a few around them) exist, so
// that a log of a million lines opens and scrolls as fast as one of ten.
import { h } from './dom.js';
import { statusTone, timeText } from './format.js';

const ROW_HEIGHT = 20; // px; the same in console.css (.log-row)
const OVERSCAN = 20;

export class VirtualLog {
  constructor() {
    this.entries = [];
    this.spacer = h('div', { class: 'log-spacer' });
    this.element = h('div', { class: 'log', role: 'log', tabindex: '0', 'aria-label': 'Session log' }, this.spacer);
    this.rows = [];
    this.scheduled = false;
    this.element.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** True while the reader is at the bottom: new lines then keep the view there. */
  atBottom() {
    const el = this.element;
    return el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT * 2;
  }

  append(entries) {
    const follow = this.atBottom();
    for (const entry of entries) {
      this.entries.push(entry);
    }
    this.spacer.style.height = `${this.entries.length * ROW_HEIGHT}px`;
    if (follow) {
      this.element.scrollTop = this.element.scrollHeight;
    }
    this.schedule();
  }

  schedule() {
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        this.render();
      });
    }
  }

  render() {
    const el = this.element;
    const first = Math.max(0, Math.floor(el.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.entries.length, Math.ceil((el.scrollTop + el.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const needed = Math.max(0, last - first);
    while (this.rows.length < needed) {
      const row = h('div', { class: 'log-row' }, h('span', { class: 'log-time' }), h('span', { class: 'log-status' }),
        h('span', { class: 'log-message' }));
      this.spacer.appendChild(row);
      this.rows.push(row);
    }
    for (let i = 0; i < this.rows.length; ++i) {
      const row = this.rows[i];
      const index = first + i;
      if (i >= needed) {
        row.hidden = true;
        continue;
      }
      row.hidden = false;
      if (row.dataset.index === String(index)) {
        continue;
      }
      const entry = this.entries[index];
      row.dataset.index = String(index);
      row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      row.children[0].textContent = timeText(entry.logTime);
      row.children[1].textContent = entry.status;
      row.children[1].className = `log-status ${statusTone(entry.status)}`;
      row.children[2].textContent = entry.message;
      row.title = entry.message.length > 120 ? entry.message.slice(0, 4000) : '';
    }
  }
}
