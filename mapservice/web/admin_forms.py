"""The forms of /admin (Flask-WTF: each carries its CSRF token), their labels in the request's language."""
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

UPLOAD_SUFFIXES = (".csv", ".xlsx", ".json")
# WTForms has no Khmer messages of its own: every validator is given the form's sentence
REQUIRED = lazy_gettext("Fill in this field.")
AT_MOST = lazy_gettext("At most %(max)s characters.")
BETWEEN = lazy_gettext("Between %(min)s and %(max)s characters.")


class LoginForm(FlaskForm):
    name = StringField(lazy_gettext("User name"), validators=[DataRequired(REQUIRED), Length(max=64, message=AT_MOST)],
                       render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})


class UploadForm(FlaskForm):
    file = FileField(lazy_gettext("File of project records (CSV, XLSX or OC4IDS JSON)"),
                     validators=[FileRequired(lazy_gettext("Choose a file to upload."))],
                     render_kw={"accept": ",".join(UPLOAD_SUFFIXES)})
    mode = RadioField(lazy_gettext("What the file does"), choices=[SelectChoice("merge", ""), SelectChoice("replace", "")],
                      default="merge")


class ActionForm(FlaskForm):
    """A button that changes something (sign out, publish, discard, roll back): only its CSRF token."""


class UserForm(FlaskForm):
    name = StringField(lazy_gettext("User name"),
                       validators=[DataRequired(REQUIRED), Length(min=2, max=64, message=BETWEEN)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    role = SelectField(lazy_gettext("Role"),
                       choices=[SelectChoice("editor", lazy_gettext("Editor (areas below only)")),
                                SelectChoice("admin", lazy_gettext("Administrator (everything)"))])
    areas = StringField(lazy_gettext("Areas: province or district codes, separated by spaces (editors)"),
                        render_kw={"inputmode": "numeric"})
