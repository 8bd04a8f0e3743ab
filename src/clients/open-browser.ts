/**
 * openBrowser: hands a URL to the desktop's browser when there is a desktop — `xdg-open` only when
 * DISPLAY (or WAYLAND_DISPLAY) is set, `open` on macOS — detached, output ignored, failures silent.
 * In CI and over SSH nothing is started: the URL on stderr is the way in.
 */
import { spawn } from "node:child_process";

export function browserCommand(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (platform === "darwin") return "open";
  if (platform === "win32") return undefined;
  const display = (env.DISPLAY ?? "") !== "" || (env.WAYLAND_DISPLAY ?? "") !== "";
  return display ? "xdg-open" : undefined;
}

export function openBrowser(
  url: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  const cmd = browserCommand(platform, env);
  if (cmd === undefined || !/^https?:\/\//.test(url)) return false;
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
