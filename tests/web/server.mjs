// Starts a Parley server for one test file and stops it (SIGTERM) afterwards.
//
// The server is the real `parley serve` (PARLEY_BINARY, default build/parley) on the fixture models
// of tests/data/models: random weights with the real architectures, so the text is gibberish but
// every stage runs. The tests' expectations come from the server's own answers over plain HTTP, or
// from checks that hold for any model. Whisper's token limit is kept small so that the speech,
// which a random model makes as long as SpeechT5 allows, stays a few seconds of work.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const fixture = (name) => path.join(repo, "tests/data/audio", name);
const model = (name) => path.join(repo, "tests/data/models", name);

function serverCommand(extraArgs) {
  const parley = process.env.PARLEY_BINARY || path.join(repo, "build/parley");
  return [parley, [
    "serve", "--port", "0", "--quiet",
    "--asr-model", model("whisper-tiny-random"),
    "--tts-model", model("speecht5-tiny-random"),
    "--vocoder", model("hifigan-tiny-random"),
    "--max-new-tokens", "12",
    ...extraArgs,
  ]];
}

// extraArgs: more `parley serve` options (e.g. --api-key).
export async function startServer(extraArgs = []) {
  const [command, args] = serverCommand(extraArgs);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60000);
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
