// laneway JS SDK: one client API over the WebTransport, WebSocket and SSE+POST lanes of
// laneway-bridge. See docs/sdk.md.
export { initialize, LanewayClient, States, SDK_VERSION } from './client.js';
export * from './errors.js';
export { Message, RpcReply } from './message.js';
export { encodeFrame, decodeFrame, DEFAULT_MAX_FRAME_BYTES } from './codec.js';
export { LengthPrefixDecoder, encodeRecord } from './length_prefix.js';
export { encodeBase64, decodeBase64 } from './base64.js';
export { topicMatches } from './topic_filter.js';
