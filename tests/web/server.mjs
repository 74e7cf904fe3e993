// Starts a Parley server for one test file and stops it (SIGTERM) afterwards.
//
// Today the server is `parley_fake_server` (parley serve over the fake SpeechService of
// tests/server/). When the real pipeline lands, serverCommand() returns
//   [PARLEY_BINARY, ["serve", "--port", "0", "--asr-model", models/whisper-tiny-random, ...]]
// and the tests run unchanged against the real models (their expectations come from the server's own
// answers over plain HTTP, or from checks that hold for any model).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const fixture = (name) => path.join(repo, "tests/data/audio", name);

function serverCommand() {
  const fake = process.env.PARLEY_FAKE_SERVER || path.join(repo, "build/tests/parley_fake_server");
  return [fake, ["--port", "0", "--quiet"]];
}

export async function startServer() {
  const [command, args] = serverCommand();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30000);
    child.on("error", (err) => { clearTimeout(timer); reject(new Error(`cannot run ${command}: ${err.message}`)); });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${out}`)); });
    child.stdout.on("data", (data) => {
      out += data;
      const match = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      return exited;
    },
  };
}
