package io.mqttgrid.console;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * One headless Chromium driven through chromedriver (Debian's {@code chromium} and {@code
 * chromium-driver}; .ci/run installs them) for a console browser test class. Without them the class
 * is skipped with the reason. With {@code -Dconsole.screenshots=<dir>} the tests write the
 * screenshots docs/console.md shows.
 */
final class ConsoleBrowser implements AutoCloseable {

  private static final List<String> BROWSERS =
      List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
  private static final List<String> DRIVERS =
      List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

  final ChromeDriver driver;
  final WebDriverWait wait;
  private final String base;

  private ConsoleBrowser(ChromeDriver driver, String base) {
    this.driver = driver;
    this.base = base;
    this.wait = new WebDriverWait(driver, Duration.ofSeconds(15));
  }

  /**
   * Starts the browser; null when there is none to start, and then each test calls {@link
   * #assumeAvailable} and is reported skipped with the reason (an assumption failing in
   * {@code @BeforeAll} would leave the class reported as no tests at all).
   */
  static ConsoleBrowser open(int managementPort) {
    Optional<String> browser = firstExecutable(BROWSERS);
    Optional<String> driver = firstExecutable(DRIVERS);
    if (browser.isEmpty() || driver.isEmpty()) {
      return null;
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(browser.get());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--lang=en-US");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(Path.of(driver.get()).toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver chrome = new ChromeDriver(service, options);
    chrome.manage().window().setSize(new Dimension(1280, 1000));
    chrome.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
    return new ConsoleBrowser(chrome, "http://127.0.0.1:" + managementPort + "/console/");
  }

  /**
   * {@link #open}, then signed in with {@code token} and on the overview once its cards show; null
   * when there is no browser to start.
   */
  static ConsoleBrowser openSignedIn(int managementPort, String token) {
    ConsoleBrowser browser = open(managementPort);
    if (browser != null) {
      browser.signIn(token);
      browser.visible(By.cssSelector("#overview-cards .card"));
    }
    return browser;
  }

  /** Skips the calling test, with the reason, when {@code browser} could not be started. */
  static void assumeAvailable(ConsoleBrowser browser) {
    assumeTrue(
        browser != null,
        "console browser tests skipped: chromium and chromedriver not found (looked for "
            + BROWSERS
            + " and "
            + DRIVERS
            + "; install Debian's chromium and chromium-driver)");
  }

  private static Optional<String> firstExecutable(List<String> paths) {
    return paths.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst();
  }

  void signIn(String token) {
    driver.get(base);
    WebElement input = visible(By.id("sign-in-token"));
    input.clear();
    // the keyboard alone: Enter in the field submits the form
    input.sendKeys(token, Keys.ENTER);
  }

  void go(String page) {
    driver.get(base + "#/" + page);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#page h1")));
  }

  WebElement visible(By by) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  /**
   * The text of the element matched by {@code by}. The pages redraw their tables as their data
   * comes in, which replaces an element between finding it and using it: then it is found again.
   */
  String text(By by) {
    return onCurrent(by, WebElement::getText);
  }

  /** Clicks the element matched by {@code by}, found again if the page redrew it meanwhile. */
  void click(By by) {
    onCurrent(
        by,
        e -> {
          e.click();
          return null;
        });
  }

  private <T> T onCurrent(By by, Function<WebElement, T> use) {
    for (int attempt = 1; ; attempt++) {
      try {
        return use.apply(driver.findElement(by));
      } catch (StaleElementReferenceException e) {
        if (attempt == 10) {
          throw e;
        }
      }
    }
  }

  /** The control of the field labelled {@code label} in the element matched by {@code scope}. */
  WebElement field(String scope, String label) {
    for (WebElement l : driver.findElements(By.cssSelector(scope + " label"))) {
      if (l.getText().equals(label)) {
        return driver.findElement(By.id(l.getAttribute("for")));
      }
    }
    throw new AssertionError("no field labelled '" + label + "' in " + scope);
  }

  void type(String scope, String label, String text) {
    WebElement f = field(scope, label);
    f.clear();
    f.sendKeys(text);
  }

  /** The error shown next to the field labelled {@code label}. */
  String errorAt(String scope, String label) {
    WebElement f = field(scope, label);
    return driver.findElement(By.id(f.getAttribute("id") + "-error")).getText();
  }

  void screenshot(String name) throws IOException {
    String dir = System.getProperty("console.screenshots", "");
    if (dir.isBlank()) {
      return;
    }
    driver.executeScript("window.scrollTo(0, 0)");
    Path target = Path.of(dir).resolve(name + ".png");
    Files.createDirectories(target.getParent());
    Files.write(target, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  @Override
  public void close() {
    driver.quit();
  }
}
