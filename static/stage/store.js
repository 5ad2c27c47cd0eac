// What the stage's elements share in one page: the surface and the drag grid arrive in
// elements of their own (each sent only when it changes), the race waits for them by id.

const messages = new Map(); // id -> message
const waiting = new Map(); // id -> [resolve]
let gridRequester = null;

export function put(message) {
  messages.set(message.id, message);
  for (const resolve of waiting.get(message.id) || []) resolve(message);
  waiting.delete(message.id);
  document.dispatchEvent(new CustomEvent("optplay-message", { detail: message.id }));
}

export function get(id) {
  return messages.get(id);
}

export function when(id) {
  if (messages.has(id)) return Promise.resolve(messages.get(id));
  return new Promise((resolve) => {
    waiting.set(id, [...(waiting.get(id) || []), resolve]);
  });
}

// The grid element registers how to ask the server for a grid. A request can be lost (a
// full rerun in flight replaces the fragment's), so one unanswered for a while is sent
// again.
const asked = new Map(); // id -> when it was asked
const RETRY_MS = 1500;

export function setGridRequester(request) {
  gridRequester = request;
}

export function requestGrid(id) {
  if (messages.has(id) || !gridRequester) return;
  const now = performance.now();
  if (asked.has(id) && now - asked.get(id) < RETRY_MS) return;
  asked.set(id, now);
  gridRequester(id);
}
