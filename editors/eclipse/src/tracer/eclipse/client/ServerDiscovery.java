package tracer.eclipse.client;

import java.io.File;
import java.util.function.Predicate;

/**
 * Finds the `tracer-lsp` executable: the configured path when set (`~` expanded, a bare name
 * looked up on PATH), else the first `tracer-lsp` on PATH; when neither gives one, a message
 * says what to install. The file system is reached only through `isExecutable`, so every case
 * is testable without one.
 */
public final class ServerDiscovery {
    public static final String BINARY = "tracer-lsp";
    /** How to install the server from a checkout of tracer-lsp (run at its top level). */
    public static final String INSTALL_COMMAND = "cargo install --path server";

    /** Either a path (and where it came from) or the message to show. */
    public record Result(String path, String source, String missing) {
        public boolean found() {
            return path != null;
        }
    }

    private ServerDiscovery() {
    }

    public static Result find(String configured, String envPath, String home, Predicate<String> isExecutable) {
        String setting = configured == null ? "" : configured.trim();
        if (!setting.isEmpty()) {
            if (setting.equals("~")) {
                setting = home;
            } else if (setting.startsWith("~/")) {
                setting = home + setting.substring(1);
            }
            if (!setting.contains(File.separator)) {
                String onPath = onPath(setting, envPath, isExecutable);
                if (onPath != null) {
                    return new Result(onPath, "preference (on PATH)", null);
                }
            } else if (isExecutable.test(setting)) {
                return new Result(setting, "preference", null);
            }
            return new Result(null, null, "the tracer-lsp server configured in Preferences > Tracer (" + setting
                    + ") is not an executable file. Fix the path, or clear it to use the tracer-lsp on PATH.");
        }
        String onPath = onPath(BINARY, envPath, isExecutable);
        if (onPath != null) {
            return new Result(onPath, "PATH", null);
        }
        return new Result(null, null, "tracer-lsp was not found on PATH. Install it from a checkout of tracer-lsp with `"
                + INSTALL_COMMAND + "`, or set its path in Preferences > Tracer.");
    }

    private static String onPath(String name, String envPath, Predicate<String> isExecutable) {
        if (envPath == null) {
            return null;
        }
        for (String dir : envPath.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                String candidate = new File(dir, name).getPath();
                if (isExecutable.test(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
