package tracer.eclipse.client;

import java.io.File;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * File URIs as the server writes them (`file:///dir/a%20b.c`), so a URI the plug-in sends and
 * one the server sends back compare equal as strings.
 */
public final class Uris {
    private Uris() {
    }

    public static String of(File file) {
        String path = file.getAbsoluteFile().toPath().normalize().toString();
        try {
            return new URI("file", "", path, null).toASCIIString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(path, e);
        }
    }

    /** The file of a `file:` URI, or null for any other scheme. */
    public static File file(String uri) {
        try {
            URI u = new URI(uri);
            return "file".equals(u.getScheme()) ? new File(u) : null;
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The same URI in the canonical form of {@link #of}, or itself when it is not a file URI. */
    public static String normalize(String uri) {
        File f = file(uri);
        return f == null ? uri : of(f);
    }
}
