"""French vocabulary shared by every layer (CLI, pipeline, dashboard, HTML report).

Streamlit has no i18n (DESIGN §9): every user-facing word about the contract lives here,
so that the CLI report, the dashboard and the HTML report say the same thing. Rule
messages say what is wrong *and* how to fix it (DESIGN §3.4).
"""

from __future__ import annotations

from expectations.contract import (
    CATEGORIES,
    CSF_FUNCTIONS,
    DEPENSES,
    ISO27001_STATES,
    MATURITE,
    MIN_YEAR,
    PROFIL,
    TEXT_MAX_CHARS,
)
from expectations.reference import CSF_FUNCTION_NAMES

KIND_LABELS: dict[str, str] = {
    MATURITE: "Auto-évaluation de maturité",
    DEPENSES: "Dépenses de sécurité",
    PROFIL: "Profil de l'établissement",
}

STATUS_LABELS: dict[str, str] = {
    # submissions
    "pending": "En cours de traitement",
    "current": "En vigueur",
    "superseded": "Remplacé",
    "rejected": "Rejeté",
    # campaign status per CHU, year and kind
    "valide": "Valide",
    "invalide": "Invalide",
    "manquant": "Manquant",
    "recu": "Reçu",
}

LEVEL_LABELS: dict[int, str] = {
    0: "Aucun",
    1: "Initial",
    2: "Reproductible",
    3: "Défini",
    4: "Maîtrisé",
    5: "Optimisé",
}
NOT_APPLICABLE_LABEL = "Non applicable"

CSF_FUNCTION_LABELS: dict[str, str] = dict(CSF_FUNCTION_NAMES)

CATEGORY_LABELS: dict[str, str] = {
    "personnel": "Personnel",
    "logiciels": "Logiciels",
    "materiel": "Matériel",
    "prestations": "Prestations",
    "formation": "Formation",
    "audit_certification": "Audit et certification",
    "autre": "Autre",
}

NATURE_LABELS: dict[str, str] = {"capex": "Investissement (capex)", "opex": "Fonctionnement (opex)"}

ISO27001_LABELS: dict[str, str] = {
    "aucun": "Aucune démarche",
    "en_cours": "Certification en cours",
    "certifie": "Certifié",
}

COLUMN_LABELS: dict[str, str] = {
    "chu": "CHU",
    "annee": "Année",
    "mesure_id": "Mesure",
    "niveau": "Niveau",
    "cible": "Niveau cible",
    "commentaire": "Commentaire",
    "categorie": "Catégorie",
    "nature": "Nature",
    "montant_mad": "Montant (MAD)",
    "libelle": "Libellé",
    "fonction_csf": "Fonction NIST CSF",
    "fournisseur": "Fournisseur",
    "solution": "Solution",
    "lits": "Lits",
    "effectif_total": "Effectif total (ETP)",
    "effectif_si": "Effectif informatique (ETP)",
    "effectif_ssi": "Effectif sécurité (ETP)",
    "budget_total_mad": "Budget total (MAD)",
    "budget_si_mad": "Budget informatique (MAD)",
    "iso27001": "ISO 27001",
    "stade_numerique": "Stade numérique (0–7)",
    "incidents_declares": "Incidents déclarés",
}


def _kpi_labels() -> dict[str, str]:
    # One home per figure: the labels live in the figure registry (data only, it imports
    # nothing but expectations.reference, so this does not create an import cycle).
    from warehouse.figures import kpi_labels

    return kpi_labels()


KPI_LABELS: dict[str, str] = _kpi_labels()

KIND_KEY_COLUMNS: dict[str, str] = {
    MATURITE: "mesure_id, niveau",
    DEPENSES: "categorie, nature, montant_mad, libelle",
    PROFIL: "lits, effectif_total, budget_total_mad, iso27001",
}

_NUMBER_FIX = (
    "Écrivez un nombre sans unité ni lettres, avec une seule virgule (ou un point) décimale : "
    "1 234 567,89 ou 1234567.89."
)
_SAVE_AS_CSV = (
    "Dans Excel, utilisez « Fichier > Enregistrer sous » et choisissez « CSV UTF-8 (délimité "
    "par des virgules) » ou « CSV (séparateur : point-virgule) »."
)

# What to write in a required cell left empty.
_REQUIRED_FIX: dict[str, str] = {
    "chu": "Indiquez le code de votre CHU (par exemple FES).",
    "annee": "Indiquez l'année de la campagne sur 4 chiffres, par exemple 2025.",
    "mesure_id": "Indiquez l'identifiant de la mesure tel qu'il figure dans le modèle.",
    "niveau": "Indiquez un entier de 0 à 5, ou NA si la mesure ne s'applique pas.",
    "categorie": f"Indiquez l'une des catégories : {', '.join(CATEGORIES)}.",
    "nature": "Indiquez capex (ou investissement) ou opex (ou fonctionnement).",
    "montant_mad": "Indiquez le montant en dirhams, par exemple 150 000.",
    "libelle": "Décrivez la dépense en quelques mots.",
    "lits": "Indiquez le nombre de lits de l'établissement.",
    "effectif_total": "Indiquez l'effectif total en équivalents temps plein.",
    "effectif_si": "Indiquez l'effectif informatique en équivalents temps plein.",
    "effectif_ssi": "Indiquez l'effectif sécurité en équivalents temps plein (0 s'il n'y en a pas).",
    "budget_total_mad": "Indiquez le budget total de l'établissement en dirhams.",
    "budget_si_mad": "Indiquez le budget informatique en dirhams.",
    "iso27001": f"Indiquez l'un des états : {', '.join(ISO27001_STATES)}.",
}

# rule id -> (what is wrong, how to fix it). Templates are filled by ``rule_message``;
# ``{value}`` is the cell as written.
RULES: dict[str, tuple[str, str]] = {
    # --- reading (DESIGN §3.3) ---
    "fichier_trop_gros": (
        "le fichier pèse {size}, au-delà de la limite de {limit}.",
        "Vérifiez qu'il s'agit du bon fichier ; un fichier de l'alliance pèse quelques centaines de kilo-octets au plus.",
    ),
    "fichier_vide": (
        "le fichier est vide.",
        "Exportez votre tableau en CSV avec sa ligne d'en-tête et ses données.",
    ),
    "fichier_binaire": (
        "le fichier n'est pas un fichier texte CSV{detail}.",
        _SAVE_AS_CSV,
    ),
    "encodage_inconnu": (
        "l'encodage des caractères n'est pas reconnu (acceptés : UTF-8, UTF-16 avec BOM, Windows-1252).",
        _SAVE_AS_CSV,
    ),
    "csv_illisible": (
        "le fichier CSV est mal formé ({detail}).",
        "Vérifiez les guillemets : un texte qui contient le séparateur ou un retour à la ligne doit être entre guillemets.",
    ),
    "guillemet_non_ferme": (
        "un guillemet ouvre un texte (colonne {position}) qui n'est jamais refermé : toute la "
        "suite du fichier serait lue comme une seule cellule.",
        "Ajoutez le guillemet fermant à la fin du texte, ou supprimez le guillemet ouvrant.",
    ),
    "colonne_sans_nom": (
        "la colonne {position} n'a pas de nom dans l'en-tête mais contient des valeurs "
        "(« {value} » à la ligne {first_line}) ; elles sont ignorées.",
        "Donnez-lui le nom d'une colonne du contrat si elle en est une, sinon videz-la.",
    ),
    "aucune_donnee": (
        "le fichier ne contient que la ligne d'en-tête, aucune ligne de données.",
        "Remplissez le modèle (chu-bench template) puis exportez-le à nouveau.",
    ),
    "type_non_reconnu": (
        "l'en-tête ne correspond à aucun des trois types de fichier.",
        "La première ligne doit porter les noms de colonnes du contrat : maturité (chu, annee, "
        "mesure_id, niveau), dépenses (chu, annee, categorie, nature, montant_mad, libelle) ou "
        "profil (chu, annee, lits, effectif_total, effectif_si, effectif_ssi, budget_total_mad, "
        "budget_si_mad, iso27001). Partez d'un modèle : chu-bench template.",
    ),
    "type_ambigu": (
        "l'en-tête mélange les colonnes de plusieurs types de fichier ({detail}).",
        "Envoyez un fichier par type (maturite, depenses, profil), chacun avec ses seules colonnes.",
    ),
    "colonne_manquante": (
        "la colonne obligatoire « {column} » est absente de l'en-tête.",
        "Ajoutez-la à la première ligne (les noms sont comparés sans tenir compte des majuscules ni des accents).",
    ),
    "colonne_en_double": (
        "la colonne « {column} » apparaît plusieurs fois dans l'en-tête.",
        "Gardez une seule colonne de ce nom.",
    ),
    "colonne_inconnue": (
        "la colonne « {value} » ne fait pas partie du contrat ; elle est ignorée.",
        "Supprimez-la ou corrigez son nom si elle devait correspondre à une colonne attendue.",
    ),
    "trop_de_valeurs": (
        "la ligne compte {count} valeurs pour {expected} colonnes.",
        "Un texte qui contient le séparateur doit être entre guillemets ; vérifiez aussi les nombres à virgule dans un fichier séparé par des virgules.",
    ),
    # --- every kind ---
    "chu_inconnu": (
        "« {value} » n'est pas un code de CHU de l'alliance.",
        "Utilisez l'un des codes : {codes}.",
    ),
    "chu_unique": (
        "le fichier mélange plusieurs CHU ({value} après {first}).",
        "Un fichier ne concerne qu'un seul CHU : séparez les données par établissement.",
    ),
    "chu_expediteur": (
        "le fichier concerne {value} alors qu'il est envoyé pour {sender}.",
        "Vérifiez la colonne chu, ou envoyez le fichier au nom du CHU concerné.",
    ),
    "annee_entier": (
        "« {value} » n'est pas une année.",
        "Indiquez l'année de la campagne sur 4 chiffres, par exemple 2025.",
    ),
    "annee_hors_periode": (
        "{value} n'est pas une année de campagne possible.",
        f"Indiquez une année comprise entre {MIN_YEAR} et {{max_year}}.",
    ),
    "annee_unique": (
        "le fichier mélange plusieurs années ({value} après {first}).",
        "Un fichier ne concerne qu'une seule campagne : séparez les données par année.",
    ),
    # --- maturite ---
    "mesure_id_inconnue": (
        "« {value} » n'est pas une mesure du référentiel {referential}.",
        "Reprenez l'identifiant exact depuis le modèle (chu-bench template maturite).",
    ),
    "mesure_id_repetee": (
        "la mesure {value} est déjà évaluée à la ligne {first_line}.",
        "Gardez une seule ligne par mesure et supprimez les autres.",
    ),
    "mesure_manquante": (
        "la mesure {value} (« {title} ») n'est pas évaluée.",
        "Ajoutez une ligne pour cette mesure, avec NA comme niveau si elle ne s'applique pas.",
    ),
    "niveau_entre_0_et_5": (
        "{value} n'est pas un niveau de 0 à 5.",
        "Indiquez un entier de 0 à 5, ou NA si la mesure ne s'applique pas.",
    ),
    "cible_entre_0_et_5": (
        "{value} n'est pas un niveau cible de 0 à 5.",
        "Indiquez un entier de 0 à 5, ou laissez la cellule vide.",
    ),
    # --- depenses ---
    "categorie_inconnue": (
        "« {value} » n'est pas une catégorie de dépense.",
        f"Utilisez l'une des catégories : {', '.join(CATEGORIES)}.",
    ),
    "nature_inconnue": (
        "« {value} » n'est pas une nature de dépense.",
        "Indiquez capex (ou investissement) ou opex (ou fonctionnement).",
    ),
    "montant_mad_negatif": (
        "{value} est un montant négatif.",
        "Indiquez un montant positif ou nul ; un avoir se déduit de la ligne concernée.",
    ),
    "fonction_csf_inconnue": (
        "« {value} » n'est pas une fonction NIST CSF 2.0.",
        f"Indiquez l'une des fonctions {', '.join(CSF_FUNCTIONS)}, ou laissez la cellule vide.",
    ),
    # --- profil ---
    "profil_une_ligne": (
        "un fichier profil contient exactement une ligne de données ; celui-ci en a {count}.",
        "Gardez une seule ligne : le profil de l'établissement pour l'année.",
    ),
    "effectif_ssi_superieur_si": (
        "l'effectif sécurité ({value}) dépasse l'effectif informatique ({other}).",
        "L'effectif sécurité fait partie de l'effectif informatique : vérifiez les deux valeurs.",
    ),
    "effectif_si_superieur_total": (
        "l'effectif informatique ({value}) dépasse l'effectif total ({other}).",
        "L'effectif informatique fait partie de l'effectif total : vérifiez les deux valeurs.",
    ),
    "budget_si_superieur_total": (
        "le budget informatique ({value}) dépasse le budget total ({other}).",
        "Le budget informatique fait partie du budget total : vérifiez les deux montants.",
    ),
    "iso27001_inconnu": (
        "« {value} » n'est pas un état de certification ISO 27001.",
        f"Indiquez l'un des états : {', '.join(ISO27001_STATES)}.",
    ),
    "stade_numerique_entre_0_et_7": (
        "{value} n'est pas un stade numérique de 0 à 7.",
        "Indiquez un entier de 0 à 7 (7 = hôpital zéro papier), ou laissez la cellule vide.",
    ),
    # --- workbooks (.xlsx, expectations.workbook) ---
    "classeur_illisible": (
        "le classeur Excel est endommagé ou mal formé ({detail}).",
        "Ouvrez-le dans Excel, enregistrez-le à nouveau au format « Classeur Excel (.xlsx) », "
        "ou enregistrez-le au format CSV.",
    ),
    "classeur_xls": (
        "le fichier est un ancien classeur Excel (.xls, Excel 97–2003), qui n'est pas accepté.",
        "Dans Excel, utilisez « Fichier > Enregistrer sous » et choisissez « Classeur Excel "
        "(.xlsx) » ou « CSV UTF-8 ».",
    ),
    "classeur_chiffre": (
        "le classeur est protégé par un mot de passe (chiffré) : son contenu ne peut pas être lu.",
        "Dans Excel, retirez le mot de passe (« Fichier > Informations > Protéger le classeur "
        "> Chiffrer avec mot de passe », videz le champ), enregistrez puis envoyez-le à nouveau.",
    ),
    "classeur_macros": (
        "le classeur contient des macros (.xlsm) : par sécurité, un classeur à macros n'est "
        "jamais ouvert.",
        "Enregistrez-le au format « Classeur Excel (.xlsx) », sans macros, ou au format CSV.",
    ),
    "classeur_trop_gros_decompresse": (
        "une fois décompressé, le classeur dépasserait {limit} : il ne peut pas s'agir d'un "
        "fichier de l'alliance (ou le fichier est piégé).",
        "Envoyez uniquement la feuille à remplir, issue du modèle (chu-bench template --format xlsx).",
    ),
    "classeur_sans_feuille": (
        "le classeur ne contient aucune feuille.",
        "Partez du modèle à remplir (chu-bench template --format xlsx).",
    ),
    "formule_sans_valeur": (
        "des cellules contiennent une formule dont le classeur n'a pas enregistré la valeur "
        "calculée ({cells}).",
        "Ouvrez le classeur dans Excel puis enregistrez-le (Excel enregistre alors les valeurs), "
        "ou remplacez les formules par leurs valeurs (« Copier » puis « Collage spécial > Valeurs »).",
    ),
    "caractere_invisible": (
        "la cellule de la colonne {position} contient un caractère de contrôle invisible.",
        "Retapez le contenu de la cellule (un copier-coller depuis une autre application "
        "apporte parfois ces caractères).",
    ),
    "date_excel": (
        "Excel a enregistré cette cellule comme une date ({value}), ce n'est donc pas un nombre "
        "ni un code.",
        "Mettez la cellule au format « Standard » (« Accueil > Nombre ») puis retapez la valeur.",
    ),
    "erreur_interne": (
        "la validation n'a pas pu aller à son terme ({detail}).",
        "Réessayez ; si le problème persiste, transmettez le fichier à l'ingénieur données de l'alliance.",
    ),
}


def french_count(number: int) -> str:
    """A count as French text: thousands grouped by a narrow no-break space (1\u202f094\u202f950)."""
    return f"{number:,}".replace(",", "\u202f")


# Free-text columns: <column>_trop_long, with the contract's maximum length.
for _column, _limit in TEXT_MAX_CHARS.items():
    RULES[f"{_column}_trop_long"] = (
        ("le commentaire" if _column == "commentaire" else "le texte")
        + " fait {length} caractères, au-delà de la limite de "
        + french_count(_limit)
        + " caractères.",
        "Raccourcissez-le ; les détails peuvent être transmis à part.",
    )

# The findings a report does not list once a rule has listed its maximum (report.py).
RULES["lignes_non_listees"] = (
    "… et {count} autres {unit} avec la même erreur que {first}, non listées ici.",
    "Corrigez-les de la même façon, puis vérifiez à nouveau le fichier.",
)

# Families of rules generated per column: <column>_obligatoire, _nombre, _entier, _negatif, _positif.
for _column, _fix in _REQUIRED_FIX.items():
    RULES[f"{_column}_obligatoire"] = ("la valeur est vide alors qu'elle est obligatoire.", _fix)
for _column in ("montant_mad", "effectif_total", "effectif_si", "effectif_ssi"):
    RULES[f"{_column}_nombre"] = ("« {value} » n'est pas un nombre lisible.", _NUMBER_FIX)
for _column in ("budget_total_mad", "budget_si_mad"):
    RULES[f"{_column}_nombre"] = ("« {value} » n'est pas un montant lisible.", _NUMBER_FIX)
    RULES[f"{_column}_positif"] = (
        "{value} n'est pas un montant strictement positif.",
        "Indiquez le montant en dirhams, supérieur à 0.",
    )
for _column in ("lits", "incidents_declares"):
    RULES[f"{_column}_entier"] = (
        "« {value} » n'est pas un nombre entier.",
        "Indiquez un nombre entier sans décimales, par exemple 850.",
    )
    RULES[f"{_column}_negatif"] = ("{value} est négatif.", "Indiquez un nombre positif ou nul.")
for _column in ("effectif_total", "effectif_si", "effectif_ssi"):
    RULES[f"{_column}_negatif"] = (
        "{value} est négatif.",
        "Indiquez un effectif positif ou nul, en équivalents temps plein.",
    )


def location(line: int | None, column: str | None, *, letter: str | None = None) -> str:
    """« Ligne 7, colonne « niveau » : » — the prefix every message starts with. With the
    column's ``letter`` (a workbook): « Ligne 7, colonne D (niveau) : »."""
    named = f"{letter} ({column})" if letter and column else f"« {column} »"
    if line is not None and column is not None:
        return f"Ligne {line}, colonne {named} : "
    if line is not None:
        return f"Ligne {line} : "
    if column is not None:
        return f"Colonne {named} : "
    return ""


def rule_message(
    rule: str, *, line: int | None, column: str | None, value: str | None = None, **params: object
) -> str:
    """The full French message for a rule: location, what is wrong, how to fix it."""
    problem, fix = RULES.get(rule, ("{value} ne respecte pas la règle « " + rule + " ».", ""))
    fields = {"value": "" if value is None else value, "column": column or "", **params}
    try:
        text = problem.format(**fields)
        fix_text = fix.format(**fields)
    except (KeyError, IndexError, ValueError):  # a template missing a parameter must not crash
        text, fix_text = problem, fix
    sentence = location(line, column) + text
    if line is None and column is None:
        sentence = sentence[:1].upper() + sentence[1:]
    return f"{sentence} {fix_text}".strip()


def human_size(size: int) -> str:
    """« 12,4 Mo » — sizes in French units for messages."""
    if size < 1024:
        return f"{size} octets"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} Ko".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
