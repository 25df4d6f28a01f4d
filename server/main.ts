/** Entry point of a socket node: `node dist/server/main.js` (the Docker image's `server` role). */
import { runRole } from "../core/run-role.js";
import { startSocketNode } from "./node.js";

runRole("server", startSocketNode);
