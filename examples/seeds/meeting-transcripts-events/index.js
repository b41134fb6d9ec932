/*
 * Seed app, event-socket version: the meeting guide's app ("Get meeting transcripts from Realtime Media Streams
 * using WebSockets", examples/seeds/meeting-transcripts/index.js) receiving its events over Zoom's event WebSocket
 * instead of a webhook endpoint, so it needs no tunnel and no inbound HTTP at all. See examples/seeds/README.md,
 * docs/event-stream.md and test/seeds/seeds-events.test.ts.
 *
 * Changes from the guide's code:
 *   1. The RTMS part (generateSignature, connectToMediaWebSocket, connectToSignalingWebSocket) is the guide's,
 *      unchanged. Express, the root route and the /webhook route are gone: no HTTP server.
 *   2. In their place, an event-socket client written the way Zoom's samples do it (protocol reference §6.5):
 *      an OAuth token by the client-credentials grant (POST <token URL>?grant_type=client_credentials, HTTP Basic
 *      clientId:clientSecret); the subscription's WebSocket URL with &access_token=<token> appended;
 *      {"module":"heartbeat"} on open and every 30 s; each {"module":"message","content":"<JSON text>"} parsed a
 *      second time and handed to handleEvent(), which is the body of the guide's /webhook route.
 *   3. Reconnection with a fresh token after 1 s, doubling to 60 s, with jitter; never giving up. Zoom does not
 *      redeliver what it sent while the socket was down (§6.5). Unlike Zoom's sample, the token never appears in a
 *      log line (the URL is logged without its query).
 *
 * Environment: ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET (as the guide), ZOOM_EVENT_WS_URL (the event subscription's
 * WebSocket URL from Marketplace, or the one `rtms-client simulate --events` prints) and ZOOM_OAUTH_TOKEN_URL
 * (default https://zoom.us/oauth/token). dotenv.config() also loads a .env file if there is one.
 *
 * Kept from the guide on purpose (the simulator reports them as warnings): the signaling handshake omits
 * protocol_version and sequence; meeting.rtms_stopped is logged and the sockets are left for Zoom to close.
 */
import dotenv from "dotenv";
import WebSocket from "ws";
import crypto from "crypto";

// Load environment variables from .env
dotenv.config();

// Generate signature for RTMS authentication
function generateSignature(meetingUuid, rtmsStreamId) {
  const clientID = process.env.ZOOM_CLIENT_ID;
  const clientSecret = process.env.ZOOM_CLIENT_SECRET;
  const message = `${clientID},${meetingUuid},${rtmsStreamId}`;
  const signature = crypto
    .createHmac("sha256", clientSecret)
    .update(message)
    .digest("hex");
  console.log(`Generated signature: ${signature}`);
  return signature;
}

// Connect to media WebSocket for receiving transcript data
function connectToMediaWebSocket(
  mediaUrl,
  meetingUuid,
  rtmsStreamId,
  signalingSocket,
) {
  const mediaWs = new WebSocket(mediaUrl);

  mediaWs.on("open", () => {
    console.log("Media WebSocket connected");
    const handshakeMsg = {
      msg_type: 3, // DATA_HAND_SHAKE_REQ
      protocol_version: 1,
      sequence: 0,
      meeting_uuid: meetingUuid,
      rtms_stream_id: rtmsStreamId,
      signature: generateSignature(meetingUuid, rtmsStreamId),
      media_type: 8, // TRANSCRIPT only
    };
    console.log("Sending transcript handshake:", handshakeMsg);
    mediaWs.send(JSON.stringify(handshakeMsg));
  });

  mediaWs.on("message", (data) => {
    const msg = JSON.parse(data);

    // Handle media handshake response
    if (msg.msg_type === 4 && msg.status_code === 0) {
      console.log("Media handshake successful, sending CLIENT_READY_ACK");
      signalingSocket.send(
        JSON.stringify({
          msg_type: 7, // CLIENT_READY_ACK
          rtms_stream_id: rtmsStreamId,
        }),
      );
    }

    // Handle transcript data
    else if (msg.msg_type === 17) {
      // MEDIA_DATA_TRANSCRIPT
      console.log(
        `Transcript from ${msg.content.user_name}: ${msg.content.data}`,
      );
    }

    // Handle keep-alive
    else if (msg.msg_type === 12) {
      // KEEP_ALIVE_REQ
      console.log(
        "Received KEEP_ALIVE_REQ, responding with KEEP_ALIVE_ACK",
      );
      mediaWs.send(
        JSON.stringify({
          msg_type: 13, // KEEP_ALIVE_ACK
          timestamp: msg.timestamp,
        }),
      );
    }
  });

  mediaWs.on("error", (error) => {
    console.error("Media WebSocket error:", error);
  });

  mediaWs.on("close", (code, reason) => {
    console.log("Media WebSocket closed:", code, reason);
  });
}

// Connect to signaling WebSocket
function connectToSignalingWebSocket(meetingUuid, rtmsStreamId, serverUrls) {
  const signalingWs = new WebSocket(serverUrls);

  signalingWs.on("open", () => {
    console.log(`Signaling WebSocket opened for meeting ${meetingUuid}`);
    const signature = generateSignature(meetingUuid, rtmsStreamId);
    const handshakeMsg = {
      msg_type: 1, // SIGNALING_HAND_SHAKE_REQ
      meeting_uuid: meetingUuid,
      rtms_stream_id: rtmsStreamId,
      signature,
    };
    console.log("Sending handshake message:", handshakeMsg);
    signalingWs.send(JSON.stringify(handshakeMsg));
  });

  signalingWs.on("message", (data) => {
    const msg = JSON.parse(data);

    // Handle signaling handshake response
    if (msg.msg_type === 2 && msg.status_code === 0) {
      console.log("Signaling handshake successful");
      const transcriptUrl = msg.media_server.server_urls.transcript;
      connectToMediaWebSocket(
        transcriptUrl,
        meetingUuid,
        rtmsStreamId,
        signalingWs,
      );
    }

    // Handle keep-alive requests
    else if (msg.msg_type === 12) {
      // KEEP_ALIVE_REQ
      console.log(
        "Received KEEP_ALIVE_REQ, responding with KEEP_ALIVE_RESP",
      );
      signalingWs.send(
        JSON.stringify({
          msg_type: 13, // KEEP_ALIVE_RESP
          timestamp: msg.timestamp,
        }),
      );
    }
  });

  signalingWs.on("error", (error) => {
    console.error("Signaling WebSocket error:", error);
  });

  signalingWs.on("close", (code, reason) => {
    console.log("Signaling WebSocket closed:", code, reason);
  });
}

// The guide's /webhook route body, taking the parsed event instead of req.body
function handleEvent({ event, payload }) {
  // Handle RTMS start event
  if (event === "meeting.rtms_started") {
    const { meeting_uuid, rtms_stream_id, server_urls } = payload;
    console.log(`Starting RTMS for meeting ${meeting_uuid}`);

    // Connect to signaling WebSocket to establish RTMS connection
    connectToSignalingWebSocket(meeting_uuid, rtms_stream_id, server_urls);

    // Handle RTMS stop event
  } else if (event === "meeting.rtms_stopped") {
    const { meeting_uuid } = payload;
    console.log(`Stopping RTMS for meeting ${meeting_uuid}`);
  } else {
    console.log("Unknown event:", event);
  }
}

// ---- Event WebSocket (replaces the webhook endpoint) ----
const EVENT_WS_URL = process.env.ZOOM_EVENT_WS_URL;
const TOKEN_URL = process.env.ZOOM_OAUTH_TOKEN_URL || "https://zoom.us/oauth/token";
const HEARTBEAT_MS = 30_000;
if (!EVENT_WS_URL) {
  console.error("Set ZOOM_EVENT_WS_URL to the event subscription's WebSocket URL");
  process.exit(1);
}
const shownUrl = EVENT_WS_URL.split("?")[0]; // never log the query (it will carry the token)

async function fetchToken() {
  const basic = Buffer.from(`${process.env.ZOOM_CLIENT_ID}:${process.env.ZOOM_CLIENT_SECRET}`).toString("base64");
  const res = await fetch(`${TOKEN_URL}?grant_type=client_credentials`, {
    method: "POST",
    headers: { Authorization: `Basic ${basic}` },
  });
  if (!res.ok) throw new Error(`token request failed: HTTP ${res.status}`);
  const { access_token } = await res.json();
  return access_token;
}

let attempt = 0;
let stopping = false;
let eventWs;
let retryTimer;

function reconnectLater() {
  if (stopping) return;
  const base = attempt === 0 ? 0 : Math.min(60_000, 1000 * 2 ** (attempt - 1));
  const delay = Math.round(base * (0.8 + Math.random() * 0.4));
  attempt++;
  console.log(`Event socket down; reconnecting in ${delay} ms`);
  retryTimer = setTimeout(connectEventSocket, delay);
}

async function connectEventSocket() {
  let token;
  try {
    token = await fetchToken();
  } catch (error) {
    console.error(`Event socket: ${error.message}`);
    return reconnectLater();
  }
  if (stopping) return;
  const ws = new WebSocket(`${EVENT_WS_URL}${EVENT_WS_URL.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}`);
  eventWs = ws;
  let heartbeat;
  ws.on("open", () => {
    attempt = 0;
    console.log(`Event socket connected to ${shownUrl}`);
    ws.send(JSON.stringify({ module: "heartbeat" }));
    heartbeat = setInterval(() => ws.send(JSON.stringify({ module: "heartbeat" })), HEARTBEAT_MS);
  });
  ws.on("message", (data) => {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.module !== "message" || typeof frame.content !== "string") return; // heartbeat answers and the rest
    let body;
    try {
      body = JSON.parse(frame.content); // content is the webhook body as JSON text: parse it a second time
    } catch {
      console.error("Event socket: content is not JSON");
      return;
    }
    handleEvent(body);
  });
  ws.on("error", (error) => console.error(`Event socket error: ${error.message}`));
  ws.on("close", (code) => {
    clearInterval(heartbeat);
    if (eventWs !== ws) return;
    console.log(`Event socket closed: ${code}`);
    reconnectLater();
  });
}

process.on("SIGTERM", () => {
  stopping = true;
  clearTimeout(retryTimer);
  eventWs?.close(1000);
  process.exit(0);
});

connectEventSocket();
