// How times, durations and statuses read in the console.

export const STATUSES = [
  'Pending', 'Running', 'RunningWithWarning', 'RunningWithError', 'Canceling',
  'Success', 'Warning', 'Error', 'Canceled', 'NeverExecuted',
];
export const FINAL_STATUSES = new Set(['Success', 'Warning', 'Error', 'Canceled', 'NeverExecuted']);
export const TYPES = [
  'PolicyBackup', 'PolicySnapshot', 'PolicyArchive', 'ManualSnapshot', 'AutoBackup', 'RestoreVms',
  'RestoreDisks', 'FileLevelRestore', 'HealthCheck', 'BackupRetention', 'BackupDeletion', 'SnapshotDeletion',
  'ManualSnapshotDeletion', 'ObsoleteSnapshotRetention', 'InvalidSnapshotRetention', 'OrphanedSnapshotRetention',
  'RepositoryCreation', 'RepositoryDeletion', 'RepositoryEdit',
];

/** The words of a status: "RunningWithWarning" → "Running with warning". */
export function statusText(status) {
  const words = status.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The colour family of a status, for its badge and its bar. */
export function statusTone(status) {
  switch (status) {
    case 'Success': return 'good';
    case 'Warning': case 'RunningWithWarning': return 'warn';
    case 'Error': case 'RunningWithError': return 'bad';
    case 'Running': case 'Pending': case 'Canceling': return 'busy';
    default: return 'quiet';
  }
}

/** A .NET TimeSpan ("1.02:03:04.5000000", "00:02:47.7726740") in milliseconds. */
export function timeSpanMs(text) {
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(text ?? '');
  if (!match) {
    return 0;
  }
  const [, days, hours, minutes, seconds, fraction] = match;
  const ms = Number(((fraction ?? '0') + '000').slice(0, 3));
  return (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + ms;
}

/** A duration the way people say it: "850 ms", "47 s", "2 m 47 s", "3 h 05 m", "2 d 04 h". */
export function durationText(ms) {
  if (ms < 1000) {
    return `${Math.max(0, Math.round(ms))} ms`;
  }
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours} h ${String(m % 60).padStart(2, '0')} m`;
  return `${Math.floor(hours / 24)} d ${String(hours % 24).padStart(2, '0')} h`;
}

const pad = (n) => String(n).padStart(2, '0');

/** A timestamp in the reader's time zone: "2026-12-04 14:10:31". */
export function timeText(iso) {
  if (!iso) {
    return '—';
  }
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A <input type="datetime-local"> value (local time) → ISO UTC, or '' when empty. */
export function localInputToIso(value) {
  return value ? new Date(value).toISOString() : '';
}

/** ISO UTC → a <input type="datetime-local"> value in local time. */
export function isoToLocalInput(iso) {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) {
    return '';
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "1,000,000". */
export function count(n) {
  return Number(n).toLocaleString('en-US');
}
