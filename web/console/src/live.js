// Staying current without polling: the change feed's long poll (contract §7) and a session log's event stream
// (contract §6). While nothing changes, an open console holds one waiting request and nothing else.
import { createParser } from 'eventsource-parser';
import { call, getJson } from './api.js';
import { FINAL_STATUSES } from './format.js';

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
          parser.feed(value);
          if (batch.length > 0) {
            onEntries(batch);
            batch = [];
          }
        }
      } catch (e) {
        if (signal.aborted) {
          return;
        }
        if (e?.status === 404 || e?.status === 403 || e?.status === 401) {
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
