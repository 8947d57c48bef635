"""Staff console pages. Every route but /staff/login requires a signed-in account."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from assistant.bookings import SmtpSettings
from assistant.clinic import load_clinic
from assistant.conversations import FLAGS
from assistant.feedback import counts_per_faq
from assistant.paths import PROJECT_ROOT
from assistant.retention import delete_conversations
from assistant.store import BookingStatus, StaffRole
from webapp.staff import accounts, audit, exports, queries
from webapp.staff.auth import (
    admin_required,
    check_credentials,
    end_session,
    end_user_sessions,
    expired_session_redirect,
    start_session,
    throttled,
)
from webapp.staff.forms import (
    ConfirmForm,
    DeleteForm,
    LabelForm,
    LoginForm,
    NewUserForm,
    PasswordChangeForm,
    ReviewForm,
    StatusForm,
)
from webapp.staff.times import day_range, local_date, local_now, local_time

staff = Blueprint("staff", __name__, url_prefix="/staff")
PAGE_SIZE = 25
CHART_JS_DIST = PROJECT_ROOT / "node_modules" / "chart.js" / "dist"


@staff.before_request
def _require_login() -> Any:
    if request.endpoint in {"staff.login"}:
        return None
    if not current_user.is_authenticated:
        return expired_session_redirect() or redirect(url_for("staff.login", next=request.path))
    return None


def _safe_next(target: str | None) -> str:
    """Only redirect to paths inside the console (no open redirects)."""
    if target and target.startswith("/staff") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("staff.conversations")


@staff.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        username = form.username.data.strip()
        if throttled(username):
            audit.record("login_throttled", username)
            return render_template("staff/login.html", form=form,
                                   error="Too many failed attempts. Please wait 15 minutes."), 429
        identity = check_credentials(username, form.password.data)
        if identity is None:
            audit.record("login_failed", username)
            return render_template("staff/login.html", form=form,
                                   error="Wrong username or password."), 401
        start_session(int(identity.id))
        login_user(identity)
        audit.record("login")
        return redirect(_safe_next(form.next.data))
    return render_template("staff/login.html", form=form, error=None)


@staff.post("/logout")
@login_required
def logout() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    audit.record("logout")
    logout_user()
    end_session()
    flash("You are signed out.")
    return redirect(url_for("staff.login"))


def _filters_detail(filters: dict[str, str], shown: int) -> str:
    used = " ".join(f"{k}={v!r}" for k, v in filters.items() if v)
    return f"{used or 'no filters'}; {shown} shown"


@staff.app_errorhandler(403)
def forbidden(error: Exception) -> Any:
    """A refused page is a security event: audited (staff paths), then a plain 403 page."""
    if not request.path.startswith("/staff"):
        return error
    audit.record("forbidden", request.path[:255], request.method)
    return render_template("staff/error.html", message="You do not have access to this page."), 403


@staff.route("/password", methods=["GET", "POST"])
def change_password() -> Any:
    """Self-service password change (ASVS 2.1.5/2.1.6); the account's other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not accounts.password_matches(int(current_user.id), form.current.data):
            audit.record("password_change_failed", current_user.username)
            form.current.errors.append("This is not your current password.")
        else:
            try:
                accounts.replace_password(int(current_user.id), current_user.username, form.new.data)
            except ValueError as error:
                form.new.errors.append(str(error).capitalize())
            else:
                ended = end_user_sessions(int(current_user.id), keep_current=True)
                audit.record("password_change", current_user.username, f"{ended} other sessions ended")
                flash("Your password is changed; you were signed out everywhere else.")
                return redirect(url_for("staff.conversations"))
    return render_template("staff/password.html", form=form)


@staff.get("/")
def index() -> Any:
    return redirect(url_for("staff.conversations"))


def _date_arg(name: str) -> date | None:
    """A date filter: one of the clinic's days (webapp/staff/times.py)."""
    value = request.args.get(name, "")
    try:
        return datetime.strptime(value, "%Y-%m-%d").date() if value else None
    except ValueError:
        return None


def _days_filter() -> tuple[datetime | None, datetime | None]:
    """The UTC bounds of the clinic's days From to To, both inclusive."""
    return day_range(_date_arg("from"), _date_arg("to"))


@staff.get("/conversations")
def conversations() -> str:
    since, before = _days_filter()
    flag = request.args.get("flag") if request.args.get("flag") in FLAGS else None
    query = request.args.get("q", "")[:200]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    found = queries.conversation_page(since, before, flag, query.strip() or None, page, PAGE_SIZE)
    pages = max(1, (found.total + PAGE_SIZE - 1) // PAGE_SIZE)
    # The list shows visitors' first questions: a view of health information.
    audit.record("list_conversations", "", _filters_detail(
        {"from": request.args.get("from", ""), "to": request.args.get("to", ""), "flag": flag or "",
         "q": query, "page": str(page)}, len(found.conversations)))
    return render_template("staff/conversations.html", conversations=found.conversations, total=found.total,
                           titles=queries.faq_titles(), page=page, pages=pages, flags=FLAGS,
                           reviews=found.reviews, journaled=queries.journaled_conversations(),
                           filters={"from": request.args.get("from", ""), "to": request.args.get("to", ""),
                                    "flag": flag or "", "q": query})


@staff.get("/conversations/<conversation_id>")
def transcript(conversation_id: str) -> str:
    found = queries.transcript(conversation_id)
    if found is None:
        abort(404)
    audit.record("view_conversation", conversation_id)
    review = found.review
    form = ReviewForm(tags=review.tags.split(",") if review and review.tags else [],
                      note=review.note if review else "", reviewed=bool(review and review.reviewed_at))
    label_form = LabelForm()
    label_form.faq_id.choices = queries.faq_choices()
    return render_template("staff/transcript.html", conversation=found.conversation, form=form,
                           review=review, labels=found.labels, label_form=label_form,
                           faq_titles=queries.faq_titles(),
                           bookings=found.bookings, delete_form=DeleteForm())


@staff.post("/conversations/<conversation_id>/review")
def review(conversation_id: str) -> Any:
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    tags = queries.save_review(conversation_id, form.tags.data or [], form.note.data or "",
                               bool(form.reviewed.data), current_user.username)
    audit.record("review", conversation_id, tags)
    flash("Review saved.")
    return redirect(url_for("staff.transcript", conversation_id=conversation_id))


@staff.post("/conversations/<conversation_id>/label")
def label(conversation_id: str) -> Any:
    form = LabelForm()
    form.faq_id.choices = queries.faq_choices()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.event_id.errors or request.form.get("faq_id") != "":
            abort(400)
        flash("Not saved: choose the FAQ the message should have matched.")
        return redirect(url_for("staff.transcript", conversation_id=conversation_id,
                                _anchor=f"e{form.event_id.data}"))
    turn = queries.visitor_turn(conversation_id, form.event_id.data)
    if turn is None:
        abort(404)
    queries.save_label(conversation_id, turn, form.faq_id.data, current_user.username)
    audit.record("label", conversation_id, f"event {turn.event_id} -> {form.faq_id.data}")
    flash("Label saved: the retraining workflow will pick it up.")
    return redirect(url_for("staff.transcript", conversation_id=conversation_id, _anchor=f"e{turn.event_id}"))


@staff.post("/conversations/<conversation_id>/delete")
@admin_required
def delete(conversation_id: str) -> Any:
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    if (form.confirm.data or "").strip().casefold() != "delete":
        audit.record("delete_refused", conversation_id, "confirmation not typed")
        flash('Not deleted: type "delete" in the box to confirm.')
        return redirect(url_for("staff.transcript", conversation_id=conversation_id, _anchor="delete-title"))
    counts = delete_conversations([conversation_id])
    audit.record("delete_conversation", conversation_id, str(counts))
    flash(f"Conversation deleted ({counts['events']} events, {counts['bookings']} booking requests).")
    return redirect(url_for("staff.conversations"))


@staff.get("/bookings")
def bookings() -> str:
    status = request.args.get("status")
    chosen = BookingStatus(status) if status in {s.value for s in BookingStatus} else None
    rows, counts = queries.bookings(chosen)
    audit.record("list_bookings", "", _filters_detail({"status": status or ""}, len(rows)))
    return render_template("staff/bookings.html", bookings=rows, statuses=[s.value for s in BookingStatus],
                           current=status or "", status_form=StatusForm, staff_names=accounts.active_names(),
                           counts=counts, clinic=load_clinic(),
                           email_configured=SmtpSettings.from_env() is not None)


staff.add_app_template_filter(local_time, "local_time")


@staff.app_context_processor
def new_bookings() -> dict[str, int]:
    """The navigation's count of requests nobody has handled yet."""
    if not request.path.startswith("/staff") or not current_user.is_authenticated:
        return {}
    return {"new_bookings": queries.new_booking_count()}


@staff.post("/bookings/<int:booking_id>/status")
def booking_status(booking_id: int) -> Any:
    form = StatusForm()
    assignee = form.assignee.data or None
    if not form.validate_on_submit() or (assignee and assignee not in accounts.active_names()):
        abort(400)
    reference = queries.update_booking(booking_id, BookingStatus(form.status.data), assignee,
                                       (form.note.data or "").strip())
    if reference is None:
        abort(404)
    audit.record("booking_status", reference,
                 f"{form.status.data}; handled by {form.assignee.data or 'nobody'}")
    flash(f"{reference} is now {form.status.data}.")
    return redirect(url_for("staff.bookings"))


@staff.get("/overview")
def overview_page() -> str:
    numbers, since, titles = queries.overview_numbers(local_now().date())
    audit.record("view_overview", "",
                 f"{sum(numbers.conversations_per_day)} conversations since {local_date(since):%Y-%m-%d}")
    return render_template("staff/overview.html", numbers=numbers,
                           chart_data=queries.chart_data(numbers, titles),
                           titles=titles, ratings=counts_per_faq(since))


@staff.get("/vendor/chart.umd.min.js")
def chart_js() -> Response:
    return send_from_directory(CHART_JS_DIST, "chart.umd.min.js", max_age=3600)


@staff.get("/export/conversations.csv")
@admin_required
def export_conversations() -> Response:
    rows = exports.conversation_rows(*_days_filter())
    audit.record("export", "conversations", f"{len(rows)} conversations")
    return exports.csv_response("conversations.csv", exports.CONVERSATION_COLUMNS, rows)


@staff.get("/export/bookings.csv")
@admin_required
def export_bookings() -> Response:
    rows = exports.booking_rows()
    audit.record("export", "bookings", f"{len(rows)} booking requests")
    return exports.csv_response("bookings.csv", exports.BOOKING_COLUMNS, rows)


@staff.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> Any:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            accounts.create_user(form.username.data.strip(), form.password.data, StaffRole(form.role.data))
        except accounts.AccountExists:
            form.username.errors.append("An account with this name exists already.")
        except ValueError as error:
            form.password.errors.append(str(error).capitalize())
        else:
            audit.record("create_user", form.username.data.strip(), form.role.data)
            flash(f"Account {form.username.data.strip()} is ready.")
            return redirect(url_for("staff.users"))
    return render_template("staff/users.html", form=form, accounts=accounts.list_accounts(),
                           confirm=ConfirmForm())


@staff.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate_user(user_id: int) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if str(user_id) == current_user.id:
        flash("You cannot deactivate your own account.")
        return redirect(url_for("staff.users"))
    try:
        name = accounts.deactivate(user_id=user_id)
    except accounts.NoSuchAccount:
        abort(404)
    audit.record("deactivate_user", name)
    flash(f"Account {name} deactivated.")
    return redirect(url_for("staff.users"))


@staff.get("/audit")
@admin_required
def audit_log() -> str:
    return render_template("staff/audit.html", entries=queries.audit_entries())
