/**
 * Child processes of the e2e harness (etcd, kube-apiserver): stdout and stderr go to a log file,
 * and every live child is killed when this process exits, is interrupted, or dies outright (a
 * small shell watchdog per child notices the parent is gone and kills the child).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { open, readFile } from "node:fs/promises";

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Set once the process has exited: its exit code, or the signal that ended it. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllNow);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(code);
    });
  }
}

/**
 * Kills `childPid` once `parentPid` is gone. Runs detached with no stdio, so it outlives a parent
 * killed with SIGKILL; it is itself killed when the child stops normally.
 */
function startWatchdog(parentPid: number, childPid: number): ChildProcess {
  const script = `while kill -0 ${parentPid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done; kill -TERM ${childPid} 2>/dev/null; sleep 5; kill -KILL ${childPid} 2>/dev/null; exit 0`;
  const dog = spawn("sh", ["-c", script], { stdio: "ignore", detached: true });
  dog.unref();
  return dog;
}

/** Starts `bin args…` with both output streams appended to `logPath`. */
export async function startProcess(
  name: string,
  bin: string,
  args: readonly string[],
  logPath: string,
  env?: NodeJS.ProcessEnv,
): Promise<ManagedProcess> {
  installExitHooks();
  const log = await open(logPath, "a");
  await log.write(`--- ${new Date().toISOString()} ${bin} ${args.join(" ")}\n`);
  const child = spawn(bin, args, { stdio: ["ignore", log.fd, log.fd], env: env ?? process.env });
  // Listen before awaiting anything else: "spawn" is emitted on the next tick.
  const started = Promise.race([
    once(child, "spawn").then(() => undefined),
    once(child, "error").then(([err]) => err as Error),
  ]);
  // The child holds its own copy of the descriptor.
  await log.close();
  const spawned = await started;
  if (spawned instanceof Error || child.pid === undefined) {
    throw new Error(
      `cannot start ${name} (${bin}): ${spawned instanceof Error ? spawned.message : "no pid"}`,
    );
  }
  const pid = child.pid;
  live.add(child);
  const dog = startWatchdog(process.pid, pid);

  let exit: ManagedProcess["exit"];
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      live.delete(child);
      try {
        dog.kill("SIGKILL");
      } catch {
        // already gone
      }
      resolve();
    });
  });

  return {
    name,
    pid,
    logPath,
    get exit() {
      return exit;
    },
    exited,
    async stop(graceMs = 10_000) {
      if (exit) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `lines` lines of a log file, or a note that it cannot be read. */
export async function logTail(path: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch (err) {
    return `(cannot read ${path}: ${(err as Error).message})`;
  }
}
