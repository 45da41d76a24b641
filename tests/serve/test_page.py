"""The page in a real headless Chromium (Debian's chromium, driven by Playwright)."""

import io
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from facegan.serve.models import load_served_model
from tests.serve.conftest import conditional_model, live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (apt-get install -y chromium)")
sync_api = pytest.importorskip("playwright.sync_api", reason="needs pip install playwright")
pytest.importorskip("uvicorn")
from facegan.serve.app import create_app  # noqa: E402

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}


def screenshot_pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.float32)


@pytest.fixture(scope="module")
def page_url(mnist_generator_dir):
    models = [load_served_model("mnist", mnist_generator_dir, torch.device("cpu")),
              conditional_model("multilabel", name="faces"),
              conditional_model("tagged", name="tags")]
    with live_server(create_app(models)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")  # fresh: no state from other runs
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield context
        context.close()


def wait_for_seed(page, seed: int) -> None:
    page.wait_for_function(f"document.getElementById('image').dataset.seed === '{seed}'",
                           timeout=20_000)


def test_changing_the_seed_changes_the_image(browser, page_url, tmp_path):
    page = browser.new_page()
    page.set_viewport_size(DESKTOP)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_url)
    wait_for_seed(page, 0)
    before = page.locator("#image").screenshot()
    page.fill("#seed", "7")
    page.press("#seed", "Enter")
    wait_for_seed(page, 7)
    after = page.locator("#image").screenshot()
    assert np.abs(screenshot_pixels(before) - screenshot_pixels(after)).mean() > 1.0
    assert page.locator("#status").inner_text().startswith("Seed 7")
    assert page.locator("#download").get_attribute("download") == "facegan-mnist-seed7.png"
    page.locator("#strip").wait_for(state="visible")

    full = screenshot_pixels(page.screenshot(path=str(tmp_path / "desktop.png"), full_page=True))
    assert full.std() > 10  # not a blank page
    assert not errors
    page.close()


def test_attribute_controls_and_phone_layout(browser, page_url, tmp_path):
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    page.goto(page_url)
    wait_for_seed(page, 0)
    page.select_option("#model", "faces")
    boxes = page.locator("#label-controls input[type=checkbox]")
    boxes.first.wait_for()
    assert boxes.count() == 3
    page.wait_for_function("document.getElementById('download').download.includes('faces')")
    before = page.locator("#image").screenshot()
    page.locator("#label-controls label", has_text="smiling").click()
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Seed')")
    page.wait_for_timeout(300)
    after = page.locator("#image").screenshot()
    assert np.abs(screenshot_pixels(before) - screenshot_pixels(after)).mean() > 1.0
    # nothing wider than the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot = screenshot_pixels(page.screenshot(path=str(tmp_path / "phone.png"), full_page=True))
    assert shot.std() > 10
    page.close()


def test_a_one_hot_tag_group_is_one_choice(browser, page_url):
    page = browser.new_page()
    page.set_viewport_size(DESKTOP)
    bodies = []
    page.on("request", lambda request: bodies.append(request.post_data_json)
            if request.url.endswith("/api/generate") else None)
    page.goto(page_url)
    wait_for_seed(page, 0)
    page.select_option("#model", "tags")
    page.wait_for_function("document.getElementById('download').download.includes('tags')")
    assert page.locator("#label-controls input[type=checkbox]").count() == 2  # the attributes
    hair = page.locator("#label-controls select[data-group=hair_color]")
    assert hair.locator("option").all_inner_texts() == ["unset", "black", "blond", "red"]
    assert page.locator("#label-controls select").count() == 2

    def labels_after(action) -> list[str]:
        sent = len(bodies)
        action()
        page.wait_for_function("document.getElementById('status').textContent"
                               ".startsWith('Seed')")
        assert len(bodies) > sent
        return sorted(bodies[-1]["labels"])

    assert labels_after(lambda: hair.select_option("hair_color=red")) == ["hair_color=red"]
    assert labels_after(lambda: hair.select_option("hair_color=blond")) == ["hair_color=blond"]
    assert labels_after(lambda: page.locator("#label-controls label", has_text="smiling")
                        .click()) == ["hair_color=blond", "smiling"]
    assert labels_after(lambda: hair.select_option("")) == ["smiling"]
    page.close()


def test_the_api_docs_render_with_no_outside_requests(browser, page_url):
    page = browser.new_page()
    page.set_viewport_size(DESKTOP)
    outside = []

    def local_only(route):
        if route.request.url.startswith(page_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.goto(f"{page_url}/docs")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=20_000)
    assert page.locator(".swagger-ui .opblock-summary-path", has_text="/api/generate").count()
    assert not outside
    page.close()


def test_a_diffusion_model_gets_a_denoising_steps_slider_that_the_requests_follow(
        browser, tmp_path):
    pytest.importorskip("diffusers")
    from tests.serve.test_diffusion import ddpm_model_dir

    models = [load_served_model("ddpm", ddpm_model_dir(tmp_path / "ddpm"), torch.device("cpu")),
              conditional_model("class", name="digits")]
    with live_server(create_app(models)) as url:
        page = browser.new_page()
        page.set_viewport_size(DESKTOP)
        bodies = []
        page.on("request", lambda request: bodies.append(request.post_data_json)
                if request.url.endswith("/api/generate") else None)
        page.goto(url)
        wait_for_seed(page, 0)
        assert page.locator("#sampling-box").is_visible()
        assert page.locator("#sampling-steps").input_value() == "4"  # the model's default
        assert bodies[-1]["sampling_steps"] == 4
        page.locator("#sampling-steps").fill("2")
        page.locator("#sampling-steps").dispatch_event("change")
        page.wait_for_function("document.getElementById('sampling-steps-value').textContent"
                               " === '2'")
        page.wait_for_timeout(500)
        assert bodies[-1]["sampling_steps"] == 2
        page.select_option("#model", "digits")  # a GAN: no slider, no option sent
        page.wait_for_function("document.getElementById('download').download.includes"
                               "('digits')")
        assert not page.locator("#sampling-box").is_visible()
        assert "sampling_steps" not in bodies[-1]
        page.close()
