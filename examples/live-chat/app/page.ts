// The chat page: one room, a name, a log of messages over a WebSocket.
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Live chat</title>
<style>
  body { font: 16px system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  #log { list-style: none; padding: 0; border: 1px solid #ccc; min-height: 12rem; }
  #log li { padding: 0.25rem 0.5rem; border-bottom: 1px solid #eee; }
  form { display: flex; gap: 0.5rem; margin-top: 0.5rem; }
  #text { flex: 1; }
</style>
</head>
<body>
<h1>Room <span id="room"></span></h1>
<p id="status">connecting…</p>
<ul id="log"></ul>
<form id="send"><input id="text" autocomplete="off" placeholder="Say something" required><button>Send</button></form>
<script>
  const params = new URLSearchParams(location.search);
  const room = params.get("room") || "lobby";
  const user = params.get("user") || "guest";
  document.getElementById("room").textContent = room;
  const url = new URL("rooms/" + encodeURIComponent(room) + "/ws?user=" + encodeURIComponent(user), location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url);
  const log = document.getElementById("log");
  ws.onopen = () => { document.getElementById("status").textContent = "connected as " + user; };
  ws.onclose = () => { document.getElementById("status").textContent = "disconnected"; };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    const li = document.createElement("li");
    li.textContent = m.user + ": " + m.text;
    log.appendChild(li);
  };
  document.getElementById("send").onsubmit = (e) => {
    e.preventDefault();
    const input = document.getElementById("text");
    ws.send(input.value);
    input.value = "";
  };
</script>
</body>
</html>`;
