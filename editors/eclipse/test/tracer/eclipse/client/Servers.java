package tracer.eclipse.client;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.eclipse.lsp4j.MessageType;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.WorkDoneProgressEnd;
import org.eclipse.lsp4j.WorkDoneProgressNotification;

import com.google.gson.JsonElement;

/**
 * Test support: the real `tracer-lsp` (`$TRACER_LSP_BIN`), the fake recording server of the test
 * tree, a throw-away copy of the repository's `examples/`, and a {@link ServerEvents} that
 * queues what the server sends so tests can wait for it.
 */
final class Servers {
    private Servers() {
    }

    static File repo() {
        return new File(System.getProperty("tracer.repo", "../..")).getAbsoluteFile();
    }

    static List<String> realServer() {
        String bin = System.getenv("TRACER_LSP_BIN");
        if (bin == null || !new File(bin).canExecute()) {
            throw new IllegalStateException("set TRACER_LSP_BIN to a built tracer-lsp (cargo build -p tracer-lsp)");
        }
        return List.of(bin);
    }

    /** The fake server, run by this JVM's java with this JVM's class path. */
    static List<String> fakeServer() {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> new File(entry).getAbsolutePath())
                .collect(java.util.stream.Collectors.joining(File.pathSeparator));
        return List.of(javaBin, "-cp", classPath, "tracer.eclipse.fake.FakeTracerServer");
    }

    /** A copy of examples/ in a temporary directory. */
    static File examples() throws IOException {
        Path target = Files.createTempDirectory("tracer-eclipse-test-");
        Path source = new File(repo(), "examples").toPath();
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return target.toFile();
    }

    static void delete(File dir) throws IOException {
        if (dir == null || !dir.exists()) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir.toPath())) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    record Progress(String token, WorkDoneProgressNotification report) {
    }

    /** Queues the server's messages. */
    static final class Events implements ServerEvents {
        final BlockingQueue<PublishDiagnosticsParams> diagnostics = new LinkedBlockingQueue<>();
        final BlockingQueue<JsonElement> counts = new LinkedBlockingQueue<>();
        final BlockingQueue<Progress> progress = new LinkedBlockingQueue<>();
        final AtomicInteger refreshes = new AtomicInteger();

        @Override
        public void diagnostics(PublishDiagnosticsParams params) {
            diagnostics.add(params);
        }

        @Override
        public void counts(JsonElement params) {
            counts.add(params);
        }

        @Override
        public void progress(String token, WorkDoneProgressNotification report) {
            progress.add(new Progress(token, report));
        }

        /** The reports of `token` up to its end (others are dropped), or fails after 60 s. */
        List<WorkDoneProgressNotification> progressUntilEnd(String token) throws InterruptedException {
            List<WorkDoneProgressNotification> reports = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                Progress p = progress.poll(100, TimeUnit.MILLISECONDS);
                if (p != null && p.token().equals(token)) {
                    reports.add(p.report());
                    if (p.report() instanceof WorkDoneProgressEnd) {
                        return reports;
                    }
                }
            }
            throw new AssertionError("no end of progress " + token + " within 60 s: " + reports);
        }

        @Override
        public void log(MessageType type, String message) {
        }

        @Override
        public void refreshAnnotations() {
            refreshes.incrementAndGet();
        }

        /** The next diagnostics of `uri` that satisfy `wanted` (others are skipped), or null after 10 s. */
        PublishDiagnosticsParams diagnosticsOf(String uri, Predicate<PublishDiagnosticsParams> wanted)
                throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                PublishDiagnosticsParams p = diagnostics.poll(100, TimeUnit.MILLISECONDS);
                if (p != null && p.getUri().equals(uri) && wanted.test(p)) {
                    return p;
                }
            }
            return null;
        }
    }
}
