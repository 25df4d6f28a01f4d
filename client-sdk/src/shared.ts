import { LiveDrawClient, type LiveDrawClientOptions } from "./client.js";

let shared: LiveDrawClient | undefined;

/**
 * One connection per app: mini-programs allow very few sockets (WeChat: 5, Alipay historically 1).
 * The first call creates the client, later calls return it (their options are ignored) until it is
 * closed. Call it from `App.onLaunch` and from any page.
 */
export function sharedClient(options: LiveDrawClientOptions): LiveDrawClient {
  if (!shared || shared.state === "closed") shared = new LiveDrawClient(options);
  return shared;
}
