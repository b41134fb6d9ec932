import { createHmac } from 'node:crypto';

/**
 * The handshake signature: lowercase hex `HMAC-SHA256(clientSecret, "{clientId},{id},{streamId}")`, where `id`
 * is the meeting UUID, webinar UUID, Video SDK session id or engagement id exactly as the webhook gave it
 * (no URL-encoding; meeting UUIDs contain `=`, `/`, `+`). The same value goes into both handshakes. §5.1 [C2]
 *
 * Unlike Zoom's own SDK, environment variables never override the arguments.
 */
export function generateSignature(params: {
  clientId: string;
  clientSecret: string;
  /** The product id: `meeting_uuid`, `webinar_uuid`, `session_id` or `engagement_id`. */
  id: string;
  streamId: string;
}): string {
  return createHmac('sha256', params.clientSecret)
    .update(`${params.clientId},${params.id},${params.streamId}`, 'utf8')
    .digest('hex');
}
