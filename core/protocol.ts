/**
 * The public contract comes from `@livedraw/protocol`; what only the server side needs lives here:
 * inter-node events, socket data and room names (workers emit to rooms through the Redis emitter).
 */
export * from "@livedraw/protocol";
import type { DrawResult, LeaderboardId, SpinResult } from "@livedraw/protocol";

export interface InterServerEvents {
  /** A resolved batch of spins: each node delivers the results of its own players' sockets. */
  "spin:results": (batch: SpinResultBatch) => void;
  /** Personal live-draw results: each node delivers those of its own players' sockets. */
  "draw:results": (batch: DrawResultBatch) => void;
}

export interface DrawResultBatch {
  /** [playerId, result] pairs. */
  results: [string, DrawResult][];
}

export interface SpinResultBatch {
  campaignId: string;
  /** [playerId, result] pairs. */
  results: [string, SpinResult][];
}

/** `viewer`: an anonymous, read-only socket (the venue's big screen), see server/sockets.ts. */
export type Role = "player" | "host" | "viewer";

/** What the server keeps on each socket after authentication. */
export interface SocketData {
  playerId: string;
  /** Masked display name, computed once at connection. */
  maskedName: string;
  role: Role;
  /** Hosts signed in with the console's session cookie: the session's reference, so signing out disconnects them. */
  hostSession?: string;
  /** Hosts: the host id itself (`playerId` is `host:<hostId>`), for audit records (server/handlers/stage.ts). */
  hostId?: string;
  /** Hosts with a scoped token: the token's `campaigns` claim (server/handlers/stage.ts checks it). */
  hostCampaigns?: string[];
  /** The `jti` of a revocable player token: the socket joins `token:<jti>`, so signing out closes it. */
  tokenId?: string;
  /** When the socket's credential lapses (the token's `exp`, or the console session's end), in ms: the socket is disconnected then. Viewers have none. */
  expiresAt?: number;
  /** The client's address (behind LIVEDRAW_TRUST_PROXY hops), for the per-address limits and source counts. */
  address?: string;
  /** The handshake's optional `auth.device` (an id of the id grammar), for the per-device limits and source counts. */
  device?: string;
  /** The handshake's optional `auth.challenge`: the answer to an E_CHALLENGE_REQUIRED, for the challenge hook. */
  challenge?: string;
}

/** Room names, shared by nodes (join) and workers (emit through the Redis emitter). */
export const rooms = {
  campaign: (campaignId: string) => `campaign:${campaignId}`,
  player: (playerId: string) => `player:${playerId}`,
  /** Every socket opened with one revocable token (its `jti`), so signing out disconnects them on every node. */
  token: (tokenId: string) => `token:${tokenId}`,
  leaderboard: (campaignId: string, board: LeaderboardId) => `lb:${campaignId}:${board}`,
  /** Every socket of one host console session (disconnected together at sign-out). */
  hostSession: (sessionRef: string) => `host-session:${sessionRef}`,
} as const;
