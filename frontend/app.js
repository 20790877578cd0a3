// The items sample: lists, creates and deletes items through the environment's API.
// Nothing about the environment is built in: /config.json is written by `deployer publish`
// from the stack's outputs (apiUrl, environment), so one build serves every environment.

const TOKEN_KEY = "items.token";
const status = document.getElementById("status");

function say(text, isError = false) {
  status.textContent = text;
  status.className = isError ? "error" : "";
}

async function loadConfig() {
  const answer = await fetch("/config.json", { cache: "no-store" });
  if (!answer.ok) throw new Error(`config.json: HTTP ${answer.status}`);
  const config = await answer.json();
  if (!config.apiUrl) throw new Error("config.json has no apiUrl");
  return config;
}

function api(config, path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const base = config.apiUrl.endsWith("/") ? config.apiUrl : `${config.apiUrl}/`;
  return fetch(base + path, { ...options, headers });
}

async function explain(answer) {
  let message = "";
  try { message = (await answer.json()).message || ""; } catch { /* not JSON */ }
  return `HTTP ${answer.status}${message ? `: ${message}` : ""}`;
}

async function refresh(config) {
  const answer = await api(config, "items");
  if (!answer.ok) return say(`Listing items failed (${await explain(answer)})`, true);
  const { items } = await answer.json();
  const list = document.getElementById("items");
  list.replaceChildren(...items.map((item) => {
    const row = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${item.name} × ${item.quantity}`;
    const remove = document.createElement("button");
    remove.textContent = "Delete";
    remove.addEventListener("click", async () => {
      const gone = await api(config, `items/${encodeURIComponent(item.id)}`, { method: "DELETE" });
      if (!gone.ok) return say(`Deleting failed (${await explain(gone)})`, true);
      say(`Deleted ${item.name}.`);
      refresh(config);
    });
    row.append(label, remove);
    return row;
  }));
  say(items.length ? "" : "No items yet.");
}

async function main() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    return say(`Cannot start: ${error.message}`, true);
  }
  document.getElementById("environment").textContent =
    `environment ${config.environment} · API ${config.apiUrl}`;
  document.getElementById("token").value = localStorage.getItem(TOKEN_KEY) || "";

  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
    refresh(config);
  });
  document.getElementById("forget").addEventListener("click", () => {
    localStorage.removeItem(TOKEN_KEY);
    document.getElementById("token").value = "";
    say("Token forgotten.");
  });
  document.getElementById("refresh").addEventListener("click", () => refresh(config));
  document.getElementById("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = JSON.stringify({
      name: document.getElementById("name").value,
      quantity: Number(document.getElementById("quantity").value),
    });
    const created = await api(config, "items", { method: "POST", body });
    if (!created.ok) return say(`Creating failed (${await explain(created)})`, true);
    say("Created.");
    document.getElementById("name").value = "";
    refresh(config);
  });
  refresh(config);
}

main();
