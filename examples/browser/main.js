// A browser page on the SDK: subscribe, count down on the server's clock, join, see reveals, redraws,
// cancellations and your result.
import { LiveDrawClient, STATE_REASONS } from "@livedraw/client-sdk";

const $ = (id) => document.getElementById(id);
let client;
let drawId;
let stop;

$("setup").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  client?.close();
  const campaignId = $("campaign").value;
  client = new LiveDrawClient({ url: $("url").value, token: $("token").value });
  client.on("state", (s) => ($("state").textContent = `${s.newState} (${s.reason})`));
  client.on("draw:countdown", (c) => follow(c.drawId, c.title, c.deadline));
  client.on("draw:reveal", (r) => {
    if (r.drawId !== drawId) return;
    for (const w of r.winners) {
      const li = document.createElement("li");
      li.dataset.winner = w.intentId;
      li.textContent = `${r.tierName}: ${w.name}`; // names arrive masked
      $("winners").append(li);
    }
  });
  // A host replaced a winner (absent, declined…): the new winner takes the slot, or nobody does.
  client.on("draw:redraw", (r) => {
    if (r.drawId !== drawId) return;
    const li = [...$("winners").children].find((el) => el.dataset.winner === r.replaced);
    if (!li) return;
    if (!r.winner) return li.remove();
    li.dataset.winner = r.winner.intentId;
    li.textContent = `${li.textContent.split(": ")[0]}: ${r.winner.name} (redrawn)`;
  });
  client.on("draw:cancelled", (c) => {
    if (c.drawId !== drawId) return;
    stop?.();
    $("winners").replaceChildren();
    $("mine").textContent = `Cancelled: ${c.reason}`;
    $("join").disabled = true;
  });
  client.on("draw:result", (r) => r.drawId === drawId && ($("mine").textContent = r.won ? "You won!" : "Not this time."));
  try {
    await client.connect();
    const { draw } = await client.subscribe(campaignId);
    if (draw) follow(draw.drawId, draw.title, draw.deadline);
  } catch (err) {
    $("state").textContent = `${err.code}: ${err.message}`;
    if (client.state !== "closed" && err.code !== "E_TIMEOUT") client.close();
  }
  $("join").onclick = async () => {
    try {
      await client.enter(campaignId, drawId);
      $("join").textContent = "Entered ✓";
      $("join").disabled = true;
    } catch (err) {
      $("mine").textContent = `${err.code}: ${err.message}`;
    }
  };
});

function follow(id, title, deadline) {
  if (id === drawId) return;
  drawId = id;
  $("title").textContent = title;
  $("winners").replaceChildren();
  $("mine").textContent = "";
  $("join").textContent = "Join the draw";
  $("join").disabled = false;
  stop?.();
  stop = client.countdown(deadline, (ms) => ($("countdown").textContent = (ms / 1000).toFixed(1)), 100);
}

// Pause while the tab is hidden, as a mini-program does in the background.
document.addEventListener("visibilitychange", () => {
  if (!client || client.state === "closed") return;
  if (document.hidden) client.pause();
  else client.resume().catch(() => ($("state").textContent = STATE_REASONS.TRANSPORT_CLOSED));
});
