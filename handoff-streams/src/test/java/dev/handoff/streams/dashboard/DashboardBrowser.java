package dev.handoff.streams.dashboard;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.PageLoadStrategy;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.chromium.ChromiumDriverLogLevel;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A headless Chromium driving the metrics dashboard ({@code GET /}) for tests, over Selenium's
 * {@link ChromeDriver}.
 *
 * <p>Only the system browser and driver are used ({@code /usr/bin/chromium} and {@code /usr/bin/chromedriver},
 * overridable with the system properties {@value #CHROMIUM_PROPERTY} and {@value #CHROMEDRIVER_PROPERTY}); the
 * driver executable is handed to Selenium explicitly, so Selenium Manager never runs and nothing is downloaded.
 * Every instance gets a fresh temporary profile ({@code --user-data-dir}) that {@link #close()} deletes.
 *
 * <p>The page's test contract (see {@code dashboard.js}): number cells of the five-number table carry
 * {@code data-band}, {@code data-metric} and the raw API value in {@code data-value} (empty for a JSON
 * {@code null}); the tiles carry {@code data-metric} and {@code data-value} without {@code data-band}; when all
 * fetches of one refresh have finished, {@code body} gets {@code data-state} ({@code ready} or {@code error}) and
 * then an incremented {@code data-loaded} counter. Raw rates are JavaScript's shortest round-trip rendering of
 * the double, so compare them numerically ({@link Double#parseDouble}), not as text.
 *
 * <pre>{@code
 * assertTrue(DashboardBrowser.available(), DashboardBrowser.unavailableReason());
 * try (DashboardBrowser browser = new DashboardBrowser()) {
 *     browser.open("http://localhost:" + port + "/");
 *     browser.awaitLoaded(0, Duration.ofSeconds(30));
 *     assertEquals("5400000", browser.value("CRITICAL", "median_ms"));
 *     browser.selectTeam("payments");           // waits for the refreshed numbers
 * }
 * }</pre>
 */
public final class DashboardBrowser implements AutoCloseable {

    /** System property naming the Chromium executable (default {@value #DEFAULT_CHROMIUM}). */
    public static final String CHROMIUM_PROPERTY = "handoff.chromium";
    /** System property naming the chromedriver executable (default {@value #DEFAULT_CHROMEDRIVER}). */
    public static final String CHROMEDRIVER_PROPERTY = "handoff.chromedriver";
    public static final String DEFAULT_CHROMIUM = "/usr/bin/chromium";
    public static final String DEFAULT_CHROMEDRIVER = "/usr/bin/chromedriver";

    /** Window size the dashboard is designed for. */
    public static final int WIDTH = 1400;
    public static final int HEIGHT = 1000;

    /** How long the convenience methods that trigger a refresh wait for it. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final List<String> ARGUMENTS = List.of(
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=" + WIDTH + "," + HEIGHT);

    /*
     * ChromeDriver looks for a selenium-devtools-vNNN binding matching the browser and warns when there is none.
     * Nothing here needs one (fullPageScreenshot goes through chromedriver's own CDP endpoint), so that warning is
     * noise; the logger is held strongly so that the level sticks.
     */
    private static final Logger CDP_VERSION_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_VERSION_FINDER.setLevel(Level.SEVERE);
    }

    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_.:-]+");
    private static final Duration POLL = Duration.ofMillis(50);

    private final Path profile;
    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final List<String> consoleErrors = new ArrayList<>();
    private boolean browserLogUnavailable;
    private boolean closed;

    /** Launches a headless Chromium with a fresh profile; fails with a clear message if it cannot. */
    public DashboardBrowser() {
        if (!available()) {
            throw new IllegalStateException(unavailableReason());
        }
        // Selenium Manager is bypassed below (the driver executable is explicit); keep it quiet should it run.
        if (System.getProperty("SE_AVOID_STATS") == null) {
            System.setProperty("SE_AVOID_STATS", "true");
        }
        try {
            profile = Files.createTempDirectory("handoff-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a Chromium profile directory", e);
        }

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium().toFile());
        options.addArguments(ARGUMENTS);
        options.addArguments("--user-data-dir=" + profile.toAbsolutePath());
        options.setPageLoadStrategy(PageLoadStrategy.NORMAL);
        LoggingPreferences logging = new LoggingPreferences();
        logging.enable(LogType.BROWSER, Level.SEVERE);
        options.setCapability("goog:loggingPrefs", logging);

        ChromeDriverService driverService = null;
        ChromeDriver chrome;
        try {
            driverService = new ChromeDriverService.Builder()
                    .usingDriverExecutable(chromedriver().toFile())
                    .usingAnyFreePort()
                    .withLogLevel(ChromiumDriverLogLevel.WARNING)
                    .build();
            chrome = new ChromeDriver(driverService, options);
            chrome.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
            chrome.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            if (driverService != null) {
                driverService.stop();
            }
            deleteRecursively(profile);
            throw new IllegalStateException("cannot start headless Chromium (" + chromium() + ") through "
                    + chromedriver() + ": " + e.getMessage(), e);
        }
        this.service = driverService;
        this.driver = chrome;
    }

    // ------------------------------------------------------------------ the executables

    /** The Chromium executable: system property {@value #CHROMIUM_PROPERTY}, else {@value #DEFAULT_CHROMIUM}. */
    public static Path chromium() {
        return Path.of(System.getProperty(CHROMIUM_PROPERTY, DEFAULT_CHROMIUM));
    }

    /** The chromedriver executable: system property {@value #CHROMEDRIVER_PROPERTY}, else {@value #DEFAULT_CHROMEDRIVER}. */
    public static Path chromedriver() {
        return Path.of(System.getProperty(CHROMEDRIVER_PROPERTY, DEFAULT_CHROMEDRIVER));
    }

    /** Whether both the browser and the driver exist and are executable. */
    public static boolean available() {
        return Files.isExecutable(chromium()) && Files.isExecutable(chromedriver());
    }

    /** Why {@link #available()} is false (or a note that it is true), for a test's failure message. */
    public static String unavailableReason() {
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(chromium())) {
            missing.add("Chromium at " + chromium() + " (system property " + CHROMIUM_PROPERTY + ")");
        }
        if (!Files.isExecutable(chromedriver())) {
            missing.add("chromedriver at " + chromedriver() + " (system property " + CHROMEDRIVER_PROPERTY + ")");
        }
        if (missing.isEmpty()) {
            return "Chromium and chromedriver are available";
        }
        return "the dashboard browser tests need the system's " + String.join(" and ", missing)
                + " as executables; install them (Debian: apt-get install chromium chromium-driver) or point the"
                + " system properties at them";
    }

    // ------------------------------------------------------------------ navigation and waiting

    /**
     * Loads {@code url} and returns once the document has loaded; the data come later, so follow with
     * {@code awaitLoaded(0, timeout)} (a new document starts counting refreshes from 0 again).
     */
    public DashboardBrowser open(String url) {
        Objects.requireNonNull(url, "url");
        driver.get(url);
        return this;
    }

    /**
     * Waits until a refresh that finished after counter {@code afterCounter} is on the page: {@code body}'s
     * {@code data-loaded} is greater than {@code afterCounter} and {@code data-state} is {@code ready} or
     * {@code error}. Returns the new counter.
     *
     * @throws TimeoutException with the page's state, error banner and console errors when it does not happen
     */
    public int awaitLoaded(int afterCounter, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object result = js().executeScript(
                    "var b = document.body; return b ? [b.getAttribute('data-loaded'), b.getAttribute('data-state')] : [null, null];");
            List<?> pair = (List<?>) result;
            int counter = parseCounter((String) pair.get(0));
            String state = (String) pair.get(1);
            if (counter > afterCounter && ("ready".equals(state) || "error".equals(state))) {
                return counter;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("the dashboard did not finish a refresh after load #" + afterCounter
                        + " within " + timeout + ": data-loaded=" + counter + ", data-state=" + state
                        + ", url=" + driver.getCurrentUrl() + ", error banner=" + errorBanner()
                        + ", console errors=" + consoleErrors());
            }
            sleep(POLL);
        }
    }

    /** {@link #awaitLoaded(int, Duration)} with the {@link #DEFAULT_TIMEOUT}. */
    public int awaitLoaded(int afterCounter) {
        return awaitLoaded(afterCounter, DEFAULT_TIMEOUT);
    }

    /** The number of refreshes the page has finished ({@code body data-loaded}; 0 before the first). */
    public int loadedCounter() {
        return parseCounter(driver.findElement(By.tagName("body")).getDomAttribute("data-loaded"));
    }

    /** {@code body data-state} of the last finished refresh: {@code ready}, {@code error}, or null before the first. */
    public String state() {
        return driver.findElement(By.tagName("body")).getDomAttribute("data-state");
    }

    /** Clicks the Apply/refresh button and waits for the refresh; returns the new counter. */
    public int refresh() {
        int before = loadedCounter();
        driver.findElement(By.id("apply-filter")).click();
        return awaitLoaded(before);
    }

    // ------------------------------------------------------------------ reading the numbers

    /**
     * The raw {@code data-value} of the five-number table cell for {@code band} and {@code metric}
     * ({@code median_ms}, {@code p90_ms}, {@code no_ack_rate}, {@code no_ack_numerator}, {@code no_ack_denominator},
     * {@code pending}, {@code handoff_breaches}, {@code sla_status}, {@code captured}, {@code acknowledged}):
     * the API's value as text, {@code ""} where the API said {@code null}.
     *
     * @throws NoSuchElementException when the page shows no such cell (e.g. the band has no row)
     */
    public String value(String band, String metric) {
        return cell(band, metric)[0];
    }

    /** The human text the five-number table shows for {@code band} and {@code metric} (e.g. {@code "1h 30m"}). */
    public String text(String band, String metric) {
        return cell(band, metric)[1];
    }

    /**
     * The raw {@code data-value} of a tile ({@code unrouted_depth}, {@code ownership_currency}, and the sums
     * {@code captured_total}, {@code handoff_breaches_total}); {@code ""} for null.
     */
    public String tile(String metric) {
        return tileElement(metric)[0];
    }

    /** The human text of a tile's number (e.g. {@code "92.5%"}). */
    public String tileText(String metric) {
        return tileElement(metric)[1];
    }

    /**
     * The bands the five-number table shows numbers for, in page order (the bands of the API's rows). A band of
     * CRITICAL to LOW without findings still has a line saying so ({@code data-empty="true"}), but is not listed.
     */
    public List<String> bands() {
        return strings(js().executeScript("return Array.from(document.querySelectorAll("
                + "'#five-numbers tbody tr[data-band]:not([data-empty])'), function (r) { return r.getAttribute('data-band'); });"));
    }

    /** The team keys the team filter offers (without "All teams"). */
    public List<String> teams() {
        return strings(js().executeScript("return Array.from(document.querySelectorAll('#team-filter option'),"
                + " function (o) { return o.value; }).filter(function (v) { return v; });"));
    }

    /** The text of the visible error banner, or null when none is shown. */
    public String errorBanner() {
        List<WebElement> banners = driver.findElements(By.id("error-banner"));
        if (banners.isEmpty() || !banners.get(0).isDisplayed()) {
            return null;
        }
        String text = banners.get(0).getText().trim();
        return text.isEmpty() ? null : text;
    }

    // ------------------------------------------------------------------ filters

    /**
     * Chooses {@code key} in the team filter ({@code null} or {@code ""}: All teams) and waits for the refresh
     * it triggers. Returns the new load counter.
     *
     * @throws NoSuchElementException when the filter does not offer {@code key}
     */
    public int selectTeam(String key) {
        return choose("team-filter", key == null ? "" : key);
    }

    /** Chooses a period ({@code "7"}, {@code "30"}, {@code "90"} days) and waits for the refresh. */
    public int selectPeriod(String days) {
        return choose("period-filter", Objects.requireNonNull(days, "days"));
    }

    /** Sets a custom period ({@code from} to {@code to}, inclusive), applies it and waits for the refresh. */
    public int customPeriod(LocalDate from, LocalDate to) {
        int before = loadedCounter();
        js().executeScript(
                "var p = document.getElementById('period-filter'); p.value = 'custom';"
                        + "p.dispatchEvent(new Event('change', {bubbles: true}));"
                        + "var f = document.getElementById('from-date'), t = document.getElementById('to-date');"
                        + "f.value = arguments[0]; t.value = arguments[1];"
                        + "f.dispatchEvent(new Event('change', {bubbles: true}));"
                        + "t.dispatchEvent(new Event('change', {bubbles: true}));",
                from.toString(), to.toString());
        driver.findElement(By.id("apply-filter")).click();
        return awaitLoaded(before);
    }

    private int choose(String selectId, String value) {
        for (int attempt = 1; ; attempt++) {
            try {
                return chooseOnce(selectId, value);
            } catch (StaleElementReferenceException e) {
                // the page rebuilt the options (a refresh brought a new team list) while we looked; look again
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private int chooseOnce(String selectId, String value) {
        WebElement select = driver.findElement(By.id(selectId));
        WebElement option = null;
        List<String> offered = new ArrayList<>();
        for (WebElement candidate : select.findElements(By.tagName("option"))) {
            String v = candidate.getDomAttribute("value");
            offered.add(v);
            if (value.equals(v)) {
                option = candidate;
            }
        }
        if (option == null) {
            throw new NoSuchElementException("#" + selectId + " offers no option '" + value + "'; it offers " + offered);
        }
        int before = loadedCounter();
        if (option.isSelected()) {
            driver.findElement(By.id("apply-filter")).click();
        } else {
            option.click();
        }
        return awaitLoaded(before);
    }

    // ------------------------------------------------------------------ evidence

    /** Saves a PNG of the browser window (the 1400x1000 viewport) to {@code file}, creating its directory. */
    public Path screenshot(Path file) {
        return write(file, driver.getScreenshotAs(OutputType.BYTES));
    }

    /** Saves a PNG of the whole page, beyond the viewport (through the DevTools protocol), to {@code file}. */
    public Path fullPageScreenshot(Path file) {
        Map<String, Object> metrics = driver.executeCdpCommand("Page.getLayoutMetrics", Map.of());
        @SuppressWarnings("unchecked")
        Map<String, Object> size = (Map<String, Object>) metrics.getOrDefault("cssContentSize", metrics.get("contentSize"));
        double width = ((Number) size.get("width")).doubleValue();
        double height = ((Number) size.get("height")).doubleValue();
        Map<String, Object> shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of(
                "format", "png",
                "captureBeyondViewport", true,
                "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
        return write(file, Base64.getDecoder().decode((String) shot.get("data")));
    }

    /**
     * The browser console's errors (level SEVERE: uncaught exceptions, console.error, failed requests) seen so
     * far in this browser's lifetime; empty when the driver cannot report its log.
     */
    public List<String> consoleErrors() {
        if (!browserLogUnavailable) {
            try {
                for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
                    if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
                        consoleErrors.add(entry.getMessage());
                    }
                }
            } catch (WebDriverException | UnsupportedOperationException e) {
                browserLogUnavailable = true;
            }
        }
        return List.copyOf(consoleErrors);
    }

    /** The underlying driver, for anything this class does not cover. */
    public ChromeDriver driver() {
        return driver;
    }

    /** The underlying driver as a plain {@link WebDriver}. */
    public WebDriver webDriver() {
        return driver;
    }

    /** Quits the browser and the driver and deletes the temporary profile. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            driver.quit();
        } catch (RuntimeException e) {
            // the browser may already be gone; the service and profile still need cleaning up
        } finally {
            try {
                service.stop();
            } finally {
                deleteRecursively(profile);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** {data-value, text} of a five-number cell, read in one script so that a refresh cannot split them. */
    private String[] cell(String band, String metric) {
        String selector = "#five-numbers [data-band=\"" + token(band, "band") + "\"][data-metric=\"" + token(metric, "metric") + "\"]";
        String[] found = read(selector);
        if (found == null) {
            throw new NoSuchElementException("the dashboard shows no cell " + selector + " (bands shown: " + bands()
                    + ", state: " + state() + ", error banner: " + errorBanner() + ")");
        }
        return found;
    }

    private String[] tileElement(String metric) {
        String selector = ".tiles [data-metric=\"" + token(metric, "metric") + "\"]";
        String[] found = read(selector);
        if (found == null) {
            throw new NoSuchElementException("the dashboard shows no tile " + selector);
        }
        return found;
    }

    private String[] read(String selector) {
        Object result = js().executeScript("var e = document.querySelector(arguments[0]);"
                + " return e ? [e.getAttribute('data-value'), e.innerText] : null;", selector);
        if (result == null) {
            return null;
        }
        List<?> pair = (List<?>) result;
        String value = pair.get(0) == null ? "" : pair.get(0).toString();
        String text = pair.get(1) == null ? "" : pair.get(1).toString().strip();
        return new String[] {value, text};
    }

    private static List<String> strings(Object result) {
        if (!(result instanceof List<?> list)) {
            return List.of();
        }
        return list.stream().map(String::valueOf).toList();
    }

    private JavascriptExecutor js() {
        return driver;
    }

    private static String token(String value, String what) {
        Objects.requireNonNull(value, what);
        if (!TOKEN.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be a plain token, was '" + value + "'");
        }
        return value;
    }

    private static int parseCounter(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Path write(Path file, byte[] png) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return Files.write(file, png);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the screenshot " + file, e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the dashboard", e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        // Chromium may still be flushing its profile for a moment after quitting.
        for (int attempt = 0; attempt < 5; attempt++) {
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                    try {
                        Files.deleteIfExists(path);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                return;
            } catch (IOException | UncheckedIOException e) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
