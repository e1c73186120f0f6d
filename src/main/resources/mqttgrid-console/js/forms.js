// Forms and the API's errors: an error whose target names a field is shown next to that field.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

let ids = 0;

/**
 * A labelled field. kind: input (default), textarea, select (options: [[value, text]]).
 * target: the API field path its errors name (e.g. properties.query).
 */
export function field({ label, name, target, kind = 'input', type = 'text', value = '', hint, options, required }) {
  const id = `f${++ids}-${name}`;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  let control;
  if (kind === 'select') {
    control = el('select', { id, name, 'data-target': target, 'aria-describedby': describedBy },
      options.map(([v, t]) => el('option', { value: v, selected: v === value }, t)));
  } else if (kind === 'textarea') {
    control = el('textarea', { id, name, 'data-target': target, 'aria-describedby': describedBy, required });
    control.value = value;
  } else {
    control = el('input', { id, name, type, 'data-target': target, 'aria-describedby': describedBy, required, autocomplete: 'off' });
    control.value = value;
  }
  return el('div', { class: 'field' },
    el('label', { for: id }, label),
    control,
    hint ? el('p', { class: 'hint', id: hintId }, hint) : null,
    el('p', { class: 'field-error', id: errorId, role: 'alert' }));
}

export function clearErrors(form) {
  form.querySelectorAll('[aria-invalid]').forEach((c) => c.removeAttribute('aria-invalid'));
  form.querySelectorAll('.field-error, .form-error').forEach((p) => { p.textContent = ''; });
}

/**
 * Shows an API error: next to the field whose target is the longest prefix of the error's target,
 * else in the form's own error line.
 */
export function showError(form, error) {
  const target = error.target || '';
  let best = null;
  for (const control of form.querySelectorAll('[data-target]')) {
    const t = control.getAttribute('data-target');
    if (t && (target === t || target.startsWith(t + '.') || target.startsWith(t + '['))) {
      if (!best || t.length > best.getAttribute('data-target').length) best = control;
    }
  }
  if (best) {
    best.setAttribute('aria-invalid', 'true');
    best.closest('.field').querySelector('.field-error').textContent = error.message;
    best.focus();
    return;
  }
  let line = form.querySelector('.form-error');
  if (!line) {
    line = el('p', { class: 'form-error', role: 'alert' });
    form.append(line);
  }
  line.textContent = error.message;
}

export function values(form) {
  const out = {};
  for (const c of form.elements) if (c.name) out[c.name] = c.value;
  return out;
}
