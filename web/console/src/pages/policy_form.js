import { ApiProblem, call, getJson } from '../api.js';
import { announce, h, replace } from '../dom.js';
import { TYPES } from '../format.js';
import { navigate } from '../nav.js';

// The form's fields, in order: [member, label, kind, help].
const FIELDS = [
  ['name', 'Name', 'text', 'Unique, without regard to case.'],
  ['description', 'Description', 'text', ''],
  ['sessionType', 'Session type', 'type', ''],
  ['command', 'Command', 'lines', 'One argument per line; the first is the program. No shell unless you run one.'],
  ['workingDirectory', 'Working directory', 'text', 'Absolute; empty: the data directory.'],
  ['environment', 'Environment', 'lines', 'One NAME=value per line: the whole environment of the command.'],
  ['schedule', 'Schedule', 'text', 'Five cron fields or @daily and the like; empty: started by hand only.'],
  ['timeZone', 'Time zone of the schedule', 'zone', 'Empty: UTC.'],
  ['enabled', 'Enabled', 'check', ''],
  ['timeoutSeconds', 'Timeout (seconds)', 'number', 'Empty: none.'],
  ['stopGraceSeconds', 'Stop grace (seconds)', 'number', 'How long a stopped command may take to end.'],
  ['warningExitCodes', 'Warning exit codes', 'text', 'Comma-separated; these codes end the run Warning.'],
  ['retentionDays', 'Retention (days)', 'number', "Empty: the server's default."],
  ['maxConcurrentRuns', 'Runs at once', 'number', ''],
  ['catchUp', 'Catch up a run missed while the server was down', 'check', ''],
];

function splitSchedule(schedule) {
  const match = /^CRON_TZ=(\S+)\s+(.*)$/.exec(schedule ?? '');
  return match ? { timeZone: match[1], schedule: match[2] } : { timeZone: '', schedule: schedule ?? '' };
}

function fieldOf(member) {
  // "command[0]" and "environment.PATH" belong to their member; CRON_TZ errors to the schedule.
  const base = member.replace(/[[.].*$/, '');
  return FIELDS.some(([name]) => name === base) ? base : null;
}

/** Creating (/policies/new) or editing (/policies/ID/edit) a policy; the API's 400 errors shown at their fields. */
export function renderPolicyForm(main, [id]) {
  const editing = id !== undefined;
  const inputs = {};
  const errors = {};
  const rows = FIELDS.map(([name, label, kind, help]) => {
    let input;
    const described = `${name}-help ${name}-error`;
    if (kind === 'lines') {
      input = h('textarea', { id: name, name, rows: 4, 'aria-describedby': described });
    } else if (kind === 'check') {
      input = h('input', { id: name, name, type: 'checkbox', 'aria-describedby': described });
    } else if (kind === 'type') {
      input = h('select', { id: name, name, 'aria-describedby': described },
        TYPES.map((t) => h('option', { value: t }, t)));
    } else if (kind === 'zone') {
      input = h('input', { id: name, name, list: 'time-zones', autocomplete: 'off', 'aria-describedby': described });
    } else {
      input = h('input', { id: name, name, type: kind === 'number' ? 'number' : 'text', 'aria-describedby': described });
    }
    inputs[name] = input;
    errors[name] = h('span', { class: 'field-error', id: `${name}-error` });
    return h('div', { class: `field ${kind}` }, h('label', { for: name }, label), input,
      h('small', { id: `${name}-help` }, help), errors[name]);
  });
  const zones = h('datalist', { id: 'time-zones' },
    (Intl.supportedValuesOf?.('timeZone') ?? []).map((z) => h('option', { value: z })));
  const general = h('div', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit' }, editing ? 'Save' : 'Create policy');
  const form = h('form', { class: 'policy-form', novalidate: true, onsubmit: save }, rows, zones, general,
    h('div', { class: 'actions' }, submit,
      h('a', { class: 'button secondary', href: editing ? `/policies/${encodeURIComponent(id)}` : '/policies' },
        'Cancel')));
  replace(main, h('h1', {}, editing ? 'Edit policy' : 'New policy'), form);

  function fill(policy) {
    const { timeZone, schedule } = splitSchedule(policy.schedule);
    inputs.name.value = policy.name ?? '';
    inputs.description.value = policy.description ?? '';
    inputs.sessionType.value = policy.sessionType ?? 'PolicyBackup';
    inputs.command.value = (policy.command ?? []).join('\n');
    inputs.workingDirectory.value = policy.workingDirectory ?? '';
    inputs.environment.value = Object.entries(policy.environment ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
    inputs.schedule.value = schedule;
    inputs.timeZone.value = timeZone;
    inputs.enabled.checked = policy.enabled ?? true;
    inputs.timeoutSeconds.value = policy.timeoutSeconds ?? '';
    inputs.stopGraceSeconds.value = policy.stopGraceSeconds ?? 30;
    inputs.warningExitCodes.value = (policy.warningExitCodes ?? []).join(', ');
    inputs.retentionDays.value = policy.retentionDays ?? '';
    inputs.maxConcurrentRuns.value = policy.maxConcurrentRuns ?? 1;
    inputs.catchUp.checked = policy.catchUp ?? false;
  }

  // Numbers the browser could not read are sent as they were typed, so that the API names them.
  const number = (input) => (input.value.trim() === '' ? null
    : Number.isNaN(Number(input.value)) ? input.value : Number(input.value));

  function definition() {
    const environment = {};
    for (const line of inputs.environment.value.split('\n')) {
      if (line.trim() === '') continue;
      const at = line.indexOf('=');
      environment[at < 0 ? line : line.slice(0, at)] = at < 0 ? '' : line.slice(at + 1);
    }
    const schedule = inputs.schedule.value.trim();
    const zone = inputs.timeZone.value.trim();
    const workingDirectory = inputs.workingDirectory.value.trim();
    return {
      name: inputs.name.value.trim(),
      description: inputs.description.value,
      sessionType: inputs.sessionType.value,
      command: inputs.command.value.split('\n').filter((line) => line !== ''),
      ...(workingDirectory ? { workingDirectory } : {}),
      environment,
      schedule: schedule && zone && zone !== 'UTC' ? `CRON_TZ=${zone} ${schedule}` : schedule,
      enabled: inputs.enabled.checked,
      timeoutSeconds: number(inputs.timeoutSeconds),
      stopGraceSeconds: number(inputs.stopGraceSeconds) ?? 30,
      warningExitCodes: inputs.warningExitCodes.value.split(',').map((c) => c.trim()).filter(Boolean)
        .map((c) => (Number.isNaN(Number(c)) ? c : Number(c))),
      retentionDays: number(inputs.retentionDays),
      maxConcurrentRuns: number(inputs.maxConcurrentRuns) ?? 1,
      catchUp: inputs.catchUp.checked,
    };
  }

  async function save(event) {
    event.preventDefault();
    for (const slot of Object.values(errors)) slot.textContent = '';
    for (const input of Object.values(inputs)) input.removeAttribute('aria-invalid');
    replace(general);
    submit.disabled = true;
    try {
      const response = await call(editing ? `/api/v1/policies/${encodeURIComponent(id)}` : '/api/v1/policies',
        { method: editing ? 'PUT' : 'POST', json: definition() });
      const saved = await response.json();
      announce(`${saved.name} is saved.`);
      navigate(`/policies/${encodeURIComponent(saved.id)}`);
    } catch (e) {
      if (!(e instanceof ApiProblem)) {
        replace(general, e.message);
        return;
      }
      const unplaced = [];
      let firstInvalid = null;
      for (const [member, messages] of Object.entries(e.errors)) {
        const field = fieldOf(member);
        if (field) {
          errors[field].textContent = messages.join(' ');
          inputs[field].setAttribute('aria-invalid', 'true');
          firstInvalid ??= inputs[field];
        } else {
          unplaced.push(`${member}: ${messages.join(' ')}`);
        }
      }
      replace(general, Object.keys(e.errors).length === 0 ? e.message : unplaced.map((text) => h('p', {}, text)));
      firstInvalid?.focus();
    } finally {
      submit.disabled = false;
    }
  }

  if (editing) {
    getJson(`/api/v1/policies/${encodeURIComponent(id)}`).then(fill, (e) => replace(general, e.message));
  } else {
    fill({});
  }
}
