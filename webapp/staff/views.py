"""Staff console pages. Every route but /staff/login requires a signed-in account."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
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
from sqlalchemy import func, select

from assistant import summaries
from assistant.clinic import load_clinic
from assistant.conversations import FLAGS, load_conversation
from assistant.faq import faq_index
from assistant.feedback import counts_per_faq
from assistant.overview import overview
from assistant.paths import PROJECT_ROOT
from assistant.retention import delete_conversations
from assistant.store import (
    NEW_FAQ_NEEDED,
    AuditEntry,
    BookingRequest,
    BookingStatus,
    ConversationReview,
    LabelledExample,
    StaffRole,
    StaffUser,
    get_engine,
    utcnow,
)
from assistant.store import session as db_session
from webapp.staff import audit
from webapp.staff.auth import (
    admin_required,
    check_credentials,
    end_session,
    end_user_sessions,
    expired_session_redirect,
    start_session,
    throttled,
)
from webapp.staff.cli import AccountExists, create_user
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
from webapp.staff.passwords import check_new_password, hash_password, verify_password
from webapp.staff.times import local_time

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
        with db_session() as db:
            user = db.get(StaffUser, int(current_user.id))
            current_ok = user is not None and verify_password(user.password_hash, form.current.data)
        if not current_ok:
            audit.record("password_change_failed", current_user.username)
            form.current.errors.append("This is not your current password.")
        else:
            try:
                check_new_password(form.new.data, current_user.username)
            except ValueError as error:
                form.new.errors.append(str(error).capitalize())
            else:
                with db_session() as db:
                    db.get(StaffUser, int(current_user.id)).password_hash = hash_password(form.new.data)
                ended = end_user_sessions(int(current_user.id), keep_current=True)
                audit.record("password_change", current_user.username, f"{ended} other sessions ended")
                flash("Your password is changed; you were signed out everywhere else.")
                return redirect(url_for("staff.conversations"))
    return render_template("staff/password.html", form=form)


@staff.get("/")
def index() -> Any:
    return redirect(url_for("staff.conversations"))


def _date_arg(name: str) -> datetime | None:
    value = request.args.get(name, "")
    try:
        return datetime.strptime(value, "%Y-%m-%d") if value else None
    except ValueError:
        return None


@staff.get("/conversations")
def conversations() -> str:
    since, until = _date_arg("from"), _date_arg("to")
    flag = request.args.get("flag") if request.args.get("flag") in FLAGS else None
    query = request.args.get("q", "")[:200]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with get_engine().connect() as connection:
        summaries.refresh(connection)
        shown, total = summaries.list_conversations(
            connection, since, until + timedelta(days=1) if until else None, flag, query.strip() or None,
            page, PAGE_SIZE)
    with db_session() as db:
        reviews = {r.conversation_id: r for r in db.execute(select(ConversationReview).where(
            ConversationReview.conversation_id.in_([c.id for c in shown]))).scalars()}
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    # The list shows visitors' first questions: a view of health information.
    audit.record("list_conversations", "", _filters_detail(
        {"from": request.args.get("from", ""), "to": request.args.get("to", ""), "flag": flag or "",
         "q": query, "page": str(page)}, len(shown)))
    return render_template("staff/conversations.html", conversations=shown, total=total, titles=_faq_titles(),
                           page=page, pages=pages, flags=FLAGS, reviews=reviews,
                           filters={"from": request.args.get("from", ""), "to": request.args.get("to", ""),
                                    "flag": flag or "", "q": query})


def _faq_titles() -> dict[str, str]:
    return {f.id: f.title for f in faq_index().values()} | {NEW_FAQ_NEEDED: "New FAQ needed"}


def _faq_choices() -> list[tuple[str, str]]:
    """Nothing chosen by default: a label is a decision, not a click on "Save"."""
    return [("", "— choose —"), (NEW_FAQ_NEEDED, "New FAQ needed")] + [
        (faq.id, faq.title) for faq in sorted(faq_index().values(), key=lambda f: f.title)]


@staff.get("/conversations/<conversation_id>")
def transcript(conversation_id: str) -> str:
    with get_engine().connect() as connection:
        conversation = load_conversation(connection, conversation_id)
    if conversation is None:
        abort(404)
    audit.record("view_conversation", conversation_id)
    with db_session() as db:
        review = db.get(ConversationReview, conversation_id)
        labels = {lab.event_id: lab for lab in db.execute(
            select(LabelledExample).where(LabelledExample.conversation_id == conversation_id)).scalars()}
        bookings = db.execute(select(BookingRequest).where(
            BookingRequest.conversation_id == conversation_id)).scalars().all()
    form = ReviewForm(tags=review.tags.split(",") if review and review.tags else [],
                      note=review.note if review else "", reviewed=bool(review and review.reviewed_at))
    label_form = LabelForm()
    label_form.faq_id.choices = _faq_choices()
    return render_template("staff/transcript.html", conversation=conversation, form=form,
                           review=review, labels=labels, label_form=label_form,
                           faq_titles=_faq_titles(),
                           bookings=bookings, delete_form=DeleteForm())


@staff.post("/conversations/<conversation_id>/review")
def review(conversation_id: str) -> Any:
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    with db_session() as db:
        row = (db.get(ConversationReview, conversation_id)
               or ConversationReview(conversation_id=conversation_id))
        row.tags = ",".join(form.tags.data or [])
        row.note = form.note.data or ""
        if form.reviewed.data and row.reviewed_at is None:
            row.reviewed_at, row.reviewed_by = utcnow(), current_user.username
        elif not form.reviewed.data:
            row.reviewed_at = row.reviewed_by = None
        db.add(row)
    audit.record("review", conversation_id, row.tags)
    flash("Review saved.")
    return redirect(url_for("staff.transcript", conversation_id=conversation_id))


@staff.post("/conversations/<conversation_id>/label")
def label(conversation_id: str) -> Any:
    form = LabelForm()
    form.faq_id.choices = _faq_choices()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.event_id.errors or request.form.get("faq_id") != "":
            abort(400)
        flash("Not saved: choose the FAQ the message should have matched.")
        return redirect(url_for("staff.transcript", conversation_id=conversation_id,
                                _anchor=f"e{form.event_id.data}"))
    with get_engine().connect() as connection:
        conversation = load_conversation(connection, conversation_id)
    turn = next((t for t in (conversation.turns if conversation else [])
                 if t.event_id == form.event_id.data and t.speaker == "visitor"), None)
    if turn is None:
        abort(404)
    with db_session() as db:
        row = db.execute(select(LabelledExample).where(
            LabelledExample.event_id == turn.event_id)).scalar_one_or_none() or LabelledExample(
            conversation_id=conversation_id, event_id=turn.event_id)
        row.text, row.predicted_faq, row.faq_id = turn.text, turn.predicted_faq, form.faq_id.data
        row.labelled_by, row.labelled_at, row.imported_at = current_user.username, utcnow(), None
        db.add(row)
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
    with db_session() as db:
        query = select(BookingRequest).order_by(BookingRequest.created_at.desc())
        if status in {s.value for s in BookingStatus}:
            query = query.where(BookingRequest.status == BookingStatus(status))
        rows = db.execute(query.limit(500)).scalars().all()
    audit.record("list_bookings", "", _filters_detail({"status": status or ""}, len(rows)))
    with db_session() as db:
        counts = dict(db.execute(select(BookingRequest.status, func.count()).group_by(
            BookingRequest.status)).all())
    return render_template("staff/bookings.html", bookings=rows, statuses=[s.value for s in BookingStatus],
                           current=status or "", status_form=StatusForm, staff_names=_staff_names(),
                           counts={s.value: counts.get(s, 0) for s in BookingStatus}, clinic=load_clinic())


def _staff_names() -> list[str]:
    with db_session() as db:
        return list(db.execute(select(StaffUser.username).where(StaffUser.active.is_(True))
                               .order_by(StaffUser.username)).scalars())


staff.add_app_template_filter(local_time, "local_time")


@staff.app_context_processor
def new_bookings() -> dict[str, int]:
    """The navigation's count of requests nobody has handled yet."""
    if not request.path.startswith("/staff") or not current_user.is_authenticated:
        return {}
    with db_session() as db:
        waiting = db.execute(select(func.count()).select_from(BookingRequest).where(
            BookingRequest.status == BookingStatus.new)).scalar_one()
    return {"new_bookings": waiting}


@staff.post("/bookings/<int:booking_id>/status")
def booking_status(booking_id: int) -> Any:
    form = StatusForm()
    if not form.validate_on_submit() or (form.assignee.data and form.assignee.data not in _staff_names()):
        abort(400)
    with db_session() as db:
        booking = db.get(BookingRequest, booking_id)
        if booking is None:
            abort(404)
        booking.status = BookingStatus(form.status.data)
        booking.assignee = form.assignee.data or None
        booking.staff_note = (form.note.data or "").strip()
        reference = booking.reference
    audit.record("booking_status", reference,
                 f"{form.status.data}; handled by {form.assignee.data or 'nobody'}")
    flash(f"{reference} is now {form.status.data}.")
    return redirect(url_for("staff.bookings"))


@staff.get("/overview")
def overview_page() -> str:
    today = utcnow().date()
    since = datetime.combine(today - timedelta(days=29), datetime.min.time())
    with get_engine().connect() as connection:
        summaries.refresh(connection)
        totals = summaries.totals(connection, since)
    with db_session() as db:
        booked = db.execute(select(BookingRequest.created_at).where(
            BookingRequest.created_at >= since)).scalars().all()
    numbers = overview(totals, [b.date() for b in booked], today)
    audit.record("view_overview", "",
                 f"{sum(numbers.conversations_per_day)} conversations since {since:%Y-%m-%d}")
    titles = {f.id: f.title for f in faq_index().values()}
    chart_data = {"days": numbers.days, "conversations": numbers.conversations_per_day,
                  "bookings": numbers.bookings_per_day, "answered": numbers.answered,
                  "fallback": numbers.fallback,
                  "topics": [[titles.get(t, t), n] for t, n in numbers.top_topics]}
    return render_template("staff/overview.html", numbers=numbers, chart_data=chart_data,
                           titles=titles, ratings=counts_per_faq(since))


@staff.get("/vendor/chart.umd.min.js")
def chart_js() -> Response:
    return send_from_directory(CHART_JS_DIST, "chart.umd.min.js", max_age=3600)


def _csv_cell(value: object) -> str:
    """Visitor text is untrusted: keep spreadsheet formulas from running on open."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _csv_response(name: str, header: list[str], rows: list[list[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "no-store"
    return response


@staff.get("/export/conversations.csv")
@admin_required
def export_conversations() -> Response:
    until = _date_arg("to")
    with get_engine().connect() as connection:
        summaries.refresh(connection)
        found = summaries.export(connection, _date_arg("from"), until + timedelta(days=1) if until else None)
    audit.record("export", "conversations", f"{len(found)} conversations")
    return _csv_response("conversations.csv",
                         ["conversation_id", "started_at_utc", "visitor_messages", "first_question", "topics",
                          "flags"],
                         [[c.id, c.started_at, c.visitor_messages, c.first_question, " ".join(c.topics),
                           " ".join(sorted(c.flags))] for c in found])


@staff.get("/export/bookings.csv")
@admin_required
def export_bookings() -> Response:
    with db_session() as db:
        rows = db.execute(select(BookingRequest).order_by(BookingRequest.created_at)).scalars().all()
        data = [[b.reference, b.created_at, b.status.value, b.full_name, b.phone, b.email, b.office,
                 b.preferred_times, b.problem, b.conversation_id] for b in rows]
    audit.record("export", "bookings", f"{len(data)} booking requests")
    return _csv_response("bookings.csv",
                         ["reference", "created_at_utc", "status", "full_name", "phone", "email", "office",
                          "preferred_times", "problem", "conversation_id"], data)


@staff.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> Any:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            create_user(form.username.data.strip(), form.password.data, StaffRole(form.role.data))
        except AccountExists:
            form.username.errors.append("An account with this name exists already.")
        except ValueError as error:
            form.password.errors.append(str(error).capitalize())
        else:
            audit.record("create_user", form.username.data.strip(), form.role.data)
            flash(f"Account {form.username.data.strip()} is ready.")
            return redirect(url_for("staff.users"))
    with db_session() as db:
        accounts = db.execute(select(StaffUser).order_by(StaffUser.username)).scalars().all()
    return render_template("staff/users.html", form=form, accounts=accounts, confirm=ConfirmForm())


@staff.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate_user(user_id: int) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if str(user_id) == current_user.id:
        flash("You cannot deactivate your own account.")
        return redirect(url_for("staff.users"))
    with db_session() as db:
        account = db.get(StaffUser, user_id)
        if account is None:
            abort(404)
        account.active = False
        name = account.username
    end_user_sessions(user_id)
    audit.record("deactivate_user", name)
    flash(f"Account {name} deactivated.")
    return redirect(url_for("staff.users"))


@staff.get("/audit")
@admin_required
def audit_log() -> str:
    with db_session() as db:
        entries = db.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).scalars().all()
    return render_template("staff/audit.html", entries=entries)
