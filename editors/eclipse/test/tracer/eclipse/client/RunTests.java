package tracer.eclipse.client;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs the plug-in's JUnit tests, printing one line per test and a closing
 * "eclipse-junit: N passed, N failed, N skipped" (skipped: an assumption did not hold, with why).
 */
public final class RunTests {
    private RunTests() {
    }

    public static void main(String[] args) {
        Class<?>[] classes = {TextTest.class, FiguresAndCountsTest.class, RealServerTest.class,
            FakeServerRecordingTest.class};
        JUnitCore core = new JUnitCore();
        int[] skipped = {0};
        core.addListener(new RunListener() {
            private boolean reported;

            @Override
            public void testStarted(Description d) {
                reported = false;
            }

            @Override
            public void testFailure(Failure f) {
                reported = true;
                System.out.println("FAIL " + f.getDescription().getDisplayName() + ": " + f.getMessage());
                System.out.println(f.getTrace());
            }

            @Override
            public void testAssumptionFailure(Failure f) {
                reported = true;
                skipped[0]++;
                System.out.println("SKIP " + f.getDescription().getDisplayName() + ": " + f.getMessage());
            }

            @Override
            public void testFinished(Description d) {
                if (!reported) {
                    System.out.println("ok   " + d.getDisplayName());
                }
            }
        });
        Result result = core.run(classes);
        int failed = result.getFailureCount();
        int passed = result.getRunCount() - failed - skipped[0];
        System.out.println("eclipse-junit: " + passed + " passed, " + failed + " failed, " + skipped[0] + " skipped");
        System.exit(failed == 0 ? 0 : 1);
    }
}
