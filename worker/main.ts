/** Entry point of a worker: `node dist/worker/main.js` (the Docker image's `worker` role). */
import { runRole } from "../core/run-role.js";
import { startWorker } from "./worker.js";

runRole("worker", startWorker);
