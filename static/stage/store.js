// What the stage's elements share in one page. The surface, the drag grid and the
// ladders' runs arrive in elements of their own (each sent only when it changes); the
// race waits for them by id.

const messages = new Map(); // id -> message
const waiting = new Map(); // id -> [resolve]

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

// What is computed on request ("grid", "ladders"): its element registers how to ask the
// server. A request can be lost (a full rerun in flight replaces the fragment's run), so
// one unanswered is sent again, a few times.
const requesters = new Map(); // kind -> (id) => void
const asked = new Map(); // id -> times asked
const RETRY_MS = 1500;
const TRIES = 4;

export function setRequester(kind, ask) {
  requesters.set(kind, ask);
}

export function request(kind, id) {
  if (messages.has(id) || asked.has(id)) return;
  asked.set(id, 0);
  const attempt = () => {
    const ask = requesters.get(kind);
    const tries = asked.get(id);
    if (messages.has(id) || tries >= TRIES) return;
    asked.set(id, tries + 1);
    if (ask) ask(id);
    setTimeout(attempt, RETRY_MS);
  };
  attempt();
}
