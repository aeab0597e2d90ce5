// Staying current without polling: the change feed's long poll (contract §7) and a session log's event stream
// (contract §6). While nothing changes, an open console holds one waiting request and nothing else.
import { createParser } from 'eventsource-parser';
import { call, getJson } from './api.js';
import { FINAL_STATUSES } from './format.js';

const LOG_PAGE = 5000; // entries of a log per JSON page
const PAGES_IN_FLIGHT = 4;
const SLICE = 64 * 1024; // characters of a log stream handled in one task
const nextTask = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(null);
});
// An answer that trying again will not change: the session is gone or not the reader's, or the login ended.
const isRefusal = (e) => e?.status === 404 || e?.status === 403 || e?.status === 401;
const AHEAD_OF_EVERY_STORE = 9007199254740991; // answers the store's highest usn at once
const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Calls `onChange(sessions)` with the sessions that change from now on, until the returned function is called.
 */
export function watchChanges(onChange) {
  const controller = new AbortController();
  const { signal } = controller;
  (async () => {
    let usn = null;
    while (!signal.aborted) {
      try {
        if (usn === null) {
          usn = (await getJson(`/api/v1/jobSessions/changes?usn=${AHEAD_OF_EVERY_STORE}`, { signal })).usn;
          continue;
        }
        const answer = await getJson(`/api/v1/jobSessions/changes?usn=${usn}&limit=100&wait=30`, { signal });
        usn = answer.usn;
        if (answer.results.length > 0) {
          onChange(answer.results);
        }
      } catch (e) {
        if (signal.aborted || e?.status === 401) {
          return;
        }
        await sleep(2000, signal); // the server restarts or the network drops: try again shortly
      }
    }
  })();
  return () => controller.abort();
}

/**
 * Follows a session's log: `onEntries(entries)` for each batch of new entries, `onStatus(session)` at each status
 * change, `onEnd()` once the session has ended and every entry has come. After a dropped connection it
 * reconnects with Last-Event-ID, so that no entry is lost or repeated. Returns the function that stops it.
 */
export function followLog(id, { onEntries, onStatus, onEnd, onError, onConnection }) {
  const controller = new AbortController();
  const { signal } = controller;
  (async () => {
    let lastId = null;
    let final = false;
    // What the log already holds comes as JSON pages (a parse of a page is short, the stream's event by event
    // parse of 100,000 lines is not); a long log's pages are asked for a few at a time and taken in order. The
    // stream then starts after the last of them: a log entry's sequence number is its position in the log.
    try {
      const page = (offset) => {
        const answer = getJson(`/api/v1/jobSessions/${encodeURIComponent(id)}/log?offset=${offset}` +
          `&limit=${LOG_PAGE}`, { signal });
        answer.catch(() => {}); // a page no longer waited for may fail unseen
        return answer;
      };
      let loaded = 0;
      const pending = [page(0)];
      while (pending.length > 0) {
        const { log } = await pending.shift();
        if (log.length > 0) {
          onEntries(log);
          loaded += log.length;
          lastId = String(loaded);
        }
        if (log.length < LOG_PAGE) {
          break; // the end: pages still in flight are empty
        }
        while (pending.length < PAGES_IN_FLIGHT) {
          pending.push(page(loaded + pending.length * LOG_PAGE)); // the pages in flight follow `loaded`
        }
      }
    } catch (e) {
      if (signal.aborted) {
        return;
      }
      if (isRefusal(e)) {
        onError?.(e);
        return;
      }
      // Anything else: the stream below starts from where the pages stopped.
    }
    while (!signal.aborted && !final) {
      try {
        const headers = lastId === null ? {} : { 'Last-Event-ID': lastId };
        const response = await call(`/api/v1/jobSessions/${encodeURIComponent(id)}/log`, {
          accept: 'text/event-stream', headers, signal,
        });
        onConnection?.(true);
        let batch = [];
        const parser = createParser({
          onEvent(event) {
            if (event.event === 'log') {
              batch.push(JSON.parse(event.data));
              if (event.id) {
                lastId = event.id;
              }
            } else if (event.event === 'status') {
              const session = JSON.parse(event.data);
              final = FINAL_STATUSES.has(session.status);
              onStatus(session);
            }
          },
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            break;
          }
          // A long log arrives in pieces of megabytes: taken a slice at a time, with the page free to paint and
          // answer input in between, instead of one long task.
          for (let at = 0; at < value.length; at += SLICE) {
            parser.feed(value.slice(at, at + SLICE));
            if (batch.length > 0) {
              onEntries(batch);
              batch = [];
            }
            if (at + SLICE < value.length) {
              await nextTask();
            }
          }
        }
      } catch (e) {
        if (signal.aborted) {
          return;
        }
        if (isRefusal(e)) {
          onError?.(e);
          return;
        }
      }
      if (!final && !signal.aborted) {
        onConnection?.(false);
        await sleep(1000, signal);
      }
    }
    if (final && !signal.aborted) {
      onEnd?.();
    }
  })();
  return () => controller.abort();
}
