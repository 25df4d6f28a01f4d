/**
 * HTTP routes as data (docs/http-api.md §1, "Who may call what"). Every route is one row: method,
 * path, who may call it, the scope rule, CSRF, draining, body schema, cost class and the handler.
 * `dispatch` applies the row's checks in one documented order, so no handler authenticates, checks
 * a scope or parses a body by itself:
 *
 *   1. path ids (`:campaignId`, `:drawId`)                       E_BAD_REQUEST
 *   2. node draining (rows with `drain`)                          E_SHUTTING_DOWN
 *   3. credentials: a Bearer token (verified; a player's checked
 *      against revocations, failing closed), else the console
 *      session cookie                                             E_UNAUTHORIZED (E_UNAVAILABLE)
 *   4. the caller's kind is one the row allows                    E_UNAUTHORIZED (none) / E_FORBIDDEN
 *   5. scope: a scoped host or staff token names the campaign;
 *      `all-campaigns` rows need an unscoped host                 E_FORBIDDEN
 *   6. CSRF: a console session changing something sends its token E_CSRF
 *   7. the body schema (then a `body-campaign` scope)             E_BAD_REQUEST (E_FORBIDDEN)
 *   8. the handler (which checks existence and state)
 *
 * A Bearer token sent to a public `/v1/` route is verified too: a revoked or invalid token is
 * refused everywhere, not only where it is needed. Probes and pages ignore credentials.
 *
 * Paths are find-my-way patterns (`/v1/campaigns/:campaignId/draws/:drawId`); a row's handler is
 * typed from its path (its params), its `allow` list (the caller it gets) and its body schema.
 */
import type { z } from "zod";
import { AppError } from "../core/errors.js";
import type { VerifiedClaims } from "./auth.js";
import type { NodeContext } from "./context.js";
import { assertCampaignScope, csrfMatches, sessionCookie, type HostIdentity, type HostSession } from "./host-session.js";
import { parseBody, pathId } from "./http-body.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";

export type Method = "GET" | "POST" | "PUT" | "DELETE";

/**
 * Who may call a route: `public` (anyone), `player` (a player token that is not revoked), `staff`
 * (a staff token), `host` (a host token or a console session), `session` (a console session only).
 * Operators are hosts listed in LIVEDRAW_OPERATOR_HOSTS: a host row's handler sees `operator`.
 */
export type Allow = "public" | "player" | "staff" | "host" | "session";

/**
 * `campaign`: a scoped host or staff token must name the path's campaign; `body-campaign`: the same
 * for the `campaignId` of the body (checked once the body is parsed); `all-campaigns`: only an
 * unscoped host (a token without a `campaigns` claim, or a console session).
 */
export type Scope = "none" | "campaign" | "body-campaign" | "all-campaigns";

/**
 * What a request costs, for the per-address HTTP limit: `probe` (health, readiness, metrics: not
 * limited), `page` and `read` and `write` (1 point), `heavy` (exports: HEAVY_POINTS points).
 */
export type Cost = "probe" | "page" | "read" | "write" | "heavy";

export const HEAVY_POINTS = 5;

export type Caller =
  | { kind: "none" }
  | { kind: "player"; playerId: string; claims: VerifiedClaims }
  | { kind: "staff"; who: HostIdentity }
  | { kind: "host"; who: HostIdentity; operator: boolean; session: (HostSession & { ref: string }) | null };

type CallerOf<A extends Allow> = A extends "public" ? Caller : A extends "session" ? Extract<Caller, { kind: "host" }> : Extract<Caller, { kind: A }>;

type ParamNames<P extends string> = P extends `${string}:${infer N}/${infer Rest}` ? N | ParamNames<`/${Rest}`> : P extends `${string}:${infer N}` ? N : never;
export type PathParams<P extends string> = { readonly [K in ParamNames<P>]: string };

export interface Call<P extends string, A extends Allow, S extends z.ZodType | undefined> {
  req: HttpRequest;
  params: PathParams<P>;
  caller: CallerOf<A>;
  body: S extends z.ZodType ? z.output<S> : undefined;
}

export interface RouteSpec<P extends string, A extends Allow, S extends z.ZodType | undefined> {
  method: Method;
  path: P;
  allow: readonly A[];
  scope: Scope;
  /** A console session changing something must send its CSRF token. Default: every method but GET. */
  csrf?: boolean;
  /** Refused with E_SHUTTING_DOWN while the node drains. */
  drain?: boolean;
  body?: S;
  cost: Cost;
  /** One line for the docs table. */
  summary: string;
  handler: (ctx: NodeContext, call: Call<P, A, S>) => Promise<HttpResponse>;
}

/** A row of the table, its types erased: what the router and the tests walk. */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly allow: readonly Allow[];
  readonly scope: Scope;
  readonly csrf: boolean;
  readonly drain: boolean;
  readonly body: z.ZodType | undefined;
  readonly cost: Cost;
  readonly summary: string;
  /** Runs checks 7–8 (body, handler) for a caller that passed 1–6. */
  readonly run: (ctx: NodeContext, req: HttpRequest, params: Record<string, string>, caller: Caller) => Promise<HttpResponse>;
}

/** Declares a route; the handler's params, caller and body are typed from the row. */
export function route<const P extends string, const A extends Allow, S extends z.ZodType | undefined = undefined>(spec: RouteSpec<P, A, S>): Route {
  return {
    method: spec.method,
    path: spec.path,
    allow: spec.allow,
    scope: spec.scope,
    csrf: spec.csrf ?? spec.method !== "GET",
    drain: spec.drain ?? false,
    body: spec.body,
    cost: spec.cost,
    summary: spec.summary,
    run: (ctx, req, params, caller) => {
      const body = (spec.body === undefined ? undefined : parseBody(spec.body, req)) as Call<P, A, S>["body"];
      if (spec.scope === "body-campaign" && (caller.kind === "host" || caller.kind === "staff")) {
        const named = (body as { campaignId?: unknown } | undefined)?.campaignId;
        if (typeof named === "string") assertCampaignScope(caller.who, named);
      }
      // `dispatch` checked the caller's kind against `allow` and every path param against its grammar.
      return spec.handler(ctx, { req, params: params as PathParams<P>, caller: caller as CallerOf<A>, body });
    },
  };
}

/** Path params that are ids (protocol §2): checked first, with the param's name in the message. */
const ID_PARAMS = new Set(["campaignId", "drawId"]);

function bearer(req: HttpRequest): string | null {
  const header = req.headers.authorization;
  if (header === undefined || header === "") return null;
  return /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? "";
}

/** Whether a row's checks look at credentials at all (probes and pages do not). */
const usesCredentials = (r: Route): boolean => r.cost !== "probe" && r.cost !== "page";

/**
 * Who is calling, from a Bearer token (any route under /v1/ and /dev/) or, for rows that admit
 * hosts, the console session cookie. A player token is checked against revocations; an error there
 * refuses the request (E_UNAVAILABLE) rather than letting a possibly revoked token in.
 */
async function identify(ctx: NodeContext, r: Route, req: HttpRequest): Promise<Caller> {
  const token = r.allow.includes("session") ? null : bearer(req);
  if (token !== null) {
    const claims = await ctx.tokens.verify(token);
    if (claims.role === "player") {
      const playerId = ctx.pseudonyms.player(claims.sub);
      let revoked: boolean;
      try {
        revoked = await ctx.revocations.isRevoked(playerId, claims);
      } catch (err) {
        throw new AppError("E_UNAVAILABLE", "Token revocation could not be checked; retry shortly.", 1000, { cause: err });
      }
      if (revoked) throw new AppError("E_UNAUTHORIZED", "This token has been revoked (signed out); sign in again.");
      return { kind: "player", playerId, claims };
    }
    const who: HostIdentity = claims.campaigns === undefined ? { hostId: claims.sub, via: "token" } : { hostId: claims.sub, via: "token", campaigns: claims.campaigns };
    if (claims.role === "staff") return { kind: "staff", who: { ...who, hostId: `staff:${claims.sub}` } };
    return { kind: "host", who, operator: ctx.config.operatorHosts.includes(claims.sub), session: null };
  }
  const admitsHosts = r.allow.includes("host") || r.allow.includes("session");
  if (admitsHosts && (r.allow.includes("session") || sessionCookie(req.headers.cookie) !== null)) {
    const session = await ctx.hostAuth.requireSession(req);
    return { kind: "host", who: { hostId: session.hostId, via: "session" }, operator: ctx.config.operatorHosts.includes(session.hostId), session };
  }
  return { kind: "none" };
}

function refuseKind(r: Route, caller: Caller): never {
  if (caller.kind === "none") {
    const what = r.allow.includes("session") ? "a console session (POST /v1/host/session)" : r.allow.map((a) => (a === "host" ? "a host token or console session" : `a ${a} token`)).join(" or ");
    throw new AppError("E_UNAUTHORIZED", `This endpoint needs ${what}.`);
  }
  if (r.allow.length === 1 && r.allow[0] === "host") throw new AppError("E_FORBIDDEN", "This endpoint needs a host token.");
  throw new AppError("E_FORBIDDEN", `This endpoint is for ${r.allow.join(" or ")} callers, not ${caller.kind} tokens.`);
}

/** Applies a row's checks in the documented order and runs it. */
export async function dispatch(ctx: NodeContext, r: Route, req: HttpRequest, params: Record<string, string | undefined>): Promise<HttpResponse> {
  const ids: Record<string, string> = {};
  // Pages answer a bad id with their own 404 page; API rows with E_BAD_REQUEST naming the param.
  for (const [name, value] of Object.entries(params)) ids[name] = ID_PARAMS.has(name) && r.cost !== "page" ? pathId(value, name) : (value ?? "");
  if (r.drain && ctx.draining) throw new AppError("E_SHUTTING_DOWN");
  if (!usesCredentials(r)) return r.run(ctx, req, ids, { kind: "none" });
  const caller = await identify(ctx, r, req);
  if (!r.allow.includes("public")) {
    const allowed = r.allow.some((a) => a === caller.kind || (a === "session" && caller.kind === "host" && caller.session !== null));
    if (!allowed) refuseKind(r, caller);
  }
  if (caller.kind === "host" || caller.kind === "staff") {
    if (r.scope === "campaign" && ids.campaignId !== undefined) assertCampaignScope(caller.who, ids.campaignId);
    if (r.scope === "all-campaigns" && caller.who.campaigns !== undefined) {
      throw new AppError("E_FORBIDDEN", "This acts across every campaign: it needs a host token without a campaigns claim, or a console session.");
    }
  }
  if (r.csrf && caller.kind === "host" && caller.session !== null && !csrfMatches(req, caller.session)) throw new AppError("E_CSRF");
  return r.run(ctx, req, ids, caller);
}
