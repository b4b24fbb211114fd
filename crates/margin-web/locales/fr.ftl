# L'interface web de Margin en français. La référence est en.ftl : mêmes identifiants,
# mêmes valeurs entre accolades ; voir docs/guide.md, « Traduire l'interface ».

app = Margin
skip = Aller au texte
spaces = Espaces de relecture
no_spaces = Ce nœud ne contient encore aucun espace de relecture. Créez-en un avec `margin space create`, rejoignez-en un avec une invitation, ou chargez l'exemple avec `margin demo`.
drafts = Projets
no_drafts = Aucun projet dans cet espace pour l'instant.
balance = Équilibre
balance_group = Groupe de parties prenantes
balance_region = Région
balance_people = Personnes
balance_participants = Ont participé
balance_comments = Commentaires
balance_stances = Positions
balance_shares = Part des personnes / commentaires / positions
balance_among_registered = Les personnes sont les participants inscrits de l'espace.
balance_among_so_far = Les personnes sont toutes celles qui ont participé jusqu'ici, profil compris.
balance_no_voice = Aucune voix de : { $names }.
balance_no_voice_regions = Aucune voix des régions : { $names }.
balance_faint = Peu entendus, moins de la moitié de leur part des personnes : { $names }.
search = Rechercher
search_label = Rechercher dans les projets et les commentaires
search_in_space = dans cet espace seulement
no_matches = Aucun résultat.
hits =
    { $n ->
        [one] { $n } résultat
       *[other] { $n } résultats
    }
match_paragraph = paragraphe
match_comment = commentaire
status_peers =
    { $n ->
        [one] { $n } pair
       *[other] { $n } pairs
    }
status_no_peers = aucun pair
status_in_sync = synchronisé
status_syncing = synchronisation en cours
status_offline = hors ligne
status_live = en direct
you_are = Vous êtes { $name }
you_edit = rédacteur
read_only_public = Une vue en lecture seule publiée par ce nœud.
read_only_login = Vous lisez. Pour commenter ou prendre position, ouvrez le lien de connexion affiché par `margin node`, ou collez le jeton du fichier api.token du répertoire du nœud :
login_title = Se connecter à ce nœud
login_token = Jeton
login_button = Se connecter
login_done = Connecté.
logout = Se déconnecter
no_identity = Ce nœud n'a pas encore de participant : pour commenter, créez votre identité (votre nom et votre groupe de parties prenantes signent tout ce que vous écrivez).
identity_title = Créer votre identité
identity_name = Nom
identity_affiliation = Organisation (facultatif)
identity_stakeholder = Groupe de parties prenantes
identity_region = Région (facultatif)
identity_create = Créer mon identité
identity_cli = Ou dans un terminal : margin init --name "Votre nom" --stakeholder civil-society
policy = Qui peut commenter
policy_open = tout le monde
policy_registered = les participants inscrits
period = Période de commentaires
period_open = ouverte
period_from = à partir du { $date }
period_until = jusqu'au { $date }
conveners = Organisateurs
editors = Rédacteurs
entries =
    { $n ->
        [one] { $n } entrée signée
       *[other] { $n } entrées signées
    }
draft_counts =
    { $paras ->
        [one] { $paras } paragraphe
       *[other] { $paras } paragraphes
    } · { $comments ->
        [one] { $comments } commentaire
       *[other] { $comments } commentaires
    } · { $revisions ->
        [one] { $revisions } révision
       *[other] { $revisions } révisions
    }
import_draft = Importer un projet
import_file = Fichier (Markdown, Word .docx ou OpenDocument .odt)
import_markdown = ou le texte en Markdown
import_title = Titre (facultatif : sinon le premier intertitre)
import_message = Message
import_button = Importer
version = Version
current = actuelle
read = Lire
reading_old = Vous lisez la version { $v }, pas le texte actuel.
compare = Comparer des versions
compare_from = De
compare_to = À
compare_button = Voir les changements
editor_tools = Outils de rédaction
tag_name = Nommer la version actuelle
tag_button = Nommer
update_title = Importer une nouvelle version du fichier du projet
update_button = Enregistrer la révision
update_message = Ce qui a changé
filters = Filtrer les commentaires
filter_kind = Type
filter_group = Groupe de parties prenantes
filter_region = Région
filter_any = tous
filter_open = objections ouvertes seulement
filter_undisposed = sans suite donnée seulement
filter_apply = Appliquer
filter_clear = Retirer les filtres
filtered =
    { $n ->
        [one] Filtré : { $n } fil affiché.
       *[other] Filtré : { $n } fils affichés.
    }
paragraph = Paragraphe { $n }
bracketed = contient du texte entre crochets (contesté)
comments_n =
    { $n ->
        [one] { $n } commentaire
       *[other] { $n } commentaires
    }
no_comments = aucun commentaire
open_objections_n =
    { $n ->
        [one] { $n } objection ouverte
       *[other] { $n } objections ouvertes
    }
respond = Réagir au ¶{ $n }
respond_title = Commenter ou prendre position
whole_draft = Sur l'ensemble du projet
orphans = Commentaires orphelins
orphans_help = Leur passage n'est plus dans le projet. Un rédacteur peut les rattacher.
elsewhere = Absents de cette version
elsewhere_help = Commentaires sur des passages que cette version ne contient pas.
compact_note = Ce projet a beaucoup de commentaires : chaque paragraphe en montre le nombre, et ses commentaires s'ouvrent à la demande.
live_news = Mis à jour : nouvelle activité sur le réseau.
kind_comment = commentaire
kind_question = question
kind_suggestion = suggestion
kind_objection = objection
on_quote = sur
commented_on = a commenté { $v } :
now_reads = se lit maintenant :
paragraph_now_reads = le paragraphe a changé depuis
untagged_version = une version antérieure
orphaned = orphelin : le passage n'est plus dans le projet
suggests = Propose :
edited = modifié
retracted = retiré par son auteur
reattached = rattaché par un rédacteur
hidden = masqué par un organisateur : { $reason }
muted = masqué sur ce nœud : vous avez choisi de ne pas voir les mots de ce participant
hide_title = Modération (organisateurs)
hide_reason = Motif, montré à tous à la place du commentaire
hide_button = Masquer pour tous
unhide_button = Montrer de nouveau
mute_title = Masquer cet auteur sur ce nœud
mute_button = Masquer (ici seulement)
unmute_button = Ne plus masquer
disposition = Suite donnée
disp_accepted = accepté
disp_partly = accepté en partie
disp_declined = refusé
disp_noted = pris en note
open_objection = objection ouverte
reply_link = Répondre ou agir
thread_link = Fil
replies_n =
    { $n ->
        [one] { $n } réponse
       *[other] { $n } réponses
    }
thread_title = Commentaire de { $name }
back_to_draft = Retour au projet
passage = Passage (facultatif)
passage_help = Les mots exacts que vous commentez ; laissez vide pour tout le paragraphe. Sélectionner du texte dans un paragraphe remplit ce champ.
selection_button = Commenter la sélection
para_select = Paragraphe
kind = Type
body = Votre commentaire
suggestion = Formulation proposée (suggestions)
post_comment = Publier le commentaire
reply_title = Répondre
post_reply = Publier la réponse
edit_title = Modifier votre commentaire
save_edit = Enregistrer
retract_title = Retirer votre commentaire
retract_button = Retirer
retract_erase = Effacer aussi son texte partout (les nœuds ne gardent qu'une trace signée)
dispose_title = Suite donnée (rédacteurs)
dispose_value = Réponse
dispose_note = Note (un motif est nécessaire pour refuser)
dispose_revision = Révision qui a fait le changement
dispose_no_revision = aucune
dispose_button = Enregistrer la suite donnée
reattach_title = Rattacher (rédacteurs)
reattach_para = Numéro de paragraphe
reattach_button = Rattacher
stance_title = Votre position sur le ¶{ $n }
stance_reason = Motif (nécessaire pour une objection)
stance_support = Soutien
stance_accept = Acceptable
stance_object = Objection
stance_abstain = Abstention
your_stance = votre position : { $stance }
stances_title = Positions
cancel = Fermer
diff_title = Changements de { $from } à { $to }
diff_added = ajouté
diff_removed = supprimé
diff_changed = modifié
diff_unchanged_n =
    { $n ->
        [one] { $n } paragraphe inchangé.
       *[other] { $n } paragraphes inchangés.
    }
diff_none = Aucune différence.
error_title = Une erreur s'est produite
go_back = Revenir
language = Langue
# Les nouveautés, sur /news.
news_link = Nouveautés
news_title = Nouveautés
news_no_identity = Les nouveautés sont pour le participant du nœud : créez d'abord votre identité.
news_since_mark = Depuis que vous avez marqué les nouveautés comme lues.
news_since_never = Tout jusqu'ici : les nouveautés n'ont pas encore été marquées comme lues sur ce nœud.
news_since_date = Entrées faites depuis le { $date }.
news_since_label = Depuis (date)
news_since_button = Afficher
news_replies = Réponses à vos commentaires
news_dispositions = Suites données à vos commentaires
news_revisions = Nouvelles révisions
news_where_you_took_part = Là où vous avez commenté ou pris position
news_closing = Périodes de commentaires qui se terminent bientôt
news_nothing = Rien de nouveau depuis votre dernière visite.
news_mark_read = Tout marquer comme lu
news_more = … et { $n } de plus.
news_replied = { $name } a répondu à votre commentaire :
news_disposed = { $name } a donné suite à votre commentaire : { $value }
news_revised =
    { $n ->
        [one] { $n } nouvelle révision, par { $name } :
       *[other] { $n } nouvelles révisions, la dernière par { $name } :
    }
news_since_read = Depuis votre dernière lecture, paragraphes modifiés : { $changed }, ajoutés : { $added }, supprimés : { $removed }.
news_show_changes = Voir les changements
news_not_read = Vous ne l'avez pas encore lu sur ce nœud.
news_read_current = Vous avez lu le texte actuel.
news_commented = { $name } ({ $kind }) sur { $para } :
news_objects = { $name } fait objection au { $para } :
news_para_gone = un paragraphe qui n'est plus dans le projet
news_closes =
    { $days ->
        [0] { $title } se termine le { $date }, aujourd'hui.
        [one] { $title } se termine le { $date }, dans { $days } jour.
       *[other] { $title } se termine le { $date }, dans { $days } jours.
    }
# Participer depuis un navigateur, sur le site public d'un miroir (/participate).
take_part_title = Participer
take_part_trust = Ce que ce site peut faire, et ce qu'il ne peut pas faire
take_part_key = Votre clé est créée dans ce navigateur et y reste : chaque commentaire et chaque position est signé ici, avant de partir.
take_part_sees = Ce site voit ce que vous publiez, qui est public de toute façon, et votre adresse réseau.
take_part_cannot = Il ne peut ni écrire en votre nom ni changer ce que vous avez écrit : chaque nœud vérifie votre signature et refuse une entrée modifiée.
take_part_script = Participer demande JavaScript (votre navigateur signe) ; lire, non.
take_part_identity = Votre identité
take_part_space = Espace de relecture
take_part_create = Créer mon identité dans ce navigateur
take_part_your_key = Votre clé (à donner à un enregistreur si l'espace demande une inscription) :
take_part_respond = Commenter un paragraphe ou prendre position
take_part_stance = Signer et publier ma position
take_part_signing = Signature dans ce navigateur et envoi…
take_part_posted = Publié, signé par vous.
take_part_refused = Refusé :
take_part_created = Votre identité est créée et gardée dans ce navigateur.
take_part_waiting = Signé, et gardé dans ce navigateur jusqu'au retour de la connexion ; il sera envoyé alors.
take_part_sent = Envoyé : ce qui attendait dans ce navigateur est arrivé sur le site.
take_part_offline = Pas de connexion : créer une identité en demande une.
take_part_moved = Le site a donné une ancre sur d'autres mots que ceux que vous avez choisis : rien n'a été signé.
take_part_working = En cours : étirer la phrase secrète prend quelques secondes…
take_part_differ = Les deux phrases secrètes diffèrent.
take_part_saved = Sauvegarde enregistrée. Gardez le fichier, et sa phrase secrète, ailleurs que dans ce navigateur.
take_part_restored = Votre clé est restaurée dans ce navigateur.
take_part_backup_title = Une sauvegarde de votre clé
take_part_backup_help = Votre clé n'existe que dans ce navigateur : effacer ses données la perd. La sauvegarde est un fichier chiffré avec votre phrase secrète (age), que cette page restaure dans un autre navigateur et que `margin key import` lit sur un nœud.
take_part_backup = Enregistrer une sauvegarde de ma clé
take_part_link_title = Lier ce navigateur à votre identité
take_part_link_help = Si vous participez déjà depuis un nœud Margin, ce navigateur peut aussi parler en votre nom : créez un code ici, puis lancez `margin device add CODE --name NOM` sur le nœud qui détient votre identité dans la journée. Une fois le lien arrivé sur ce site, ce que vous signez ici compte comme vous, une seule fois.
take_part_link = Créer un code de liaison
take_part_link_made = Le code est ci-dessous : donnez-le à `margin device add` sur votre nœud.
take_part_passphrase = Phrase secrète
take_part_passphrase_again = La même phrase secrète, encore
take_part_restore_title = Ou restaurer une clé depuis une sauvegarde
take_part_restore_file = Fichier de sauvegarde (de cette page, ou de margin key export)
take_part_restore = Restaurer ma clé
take_part_hint = Pour commenter ici, répondre ou prendre position, créez d'abord votre identité dans ce navigateur :
take_part_hint_link = Participer

# Accessibility
# Dit à qui atteint un passage surligné au clavier.
highlight_help = Passage surligné : Entrée ou Espace mène à son commentaire, Échap y ramène.
# Choisir le passage d'un commentaire parmi les mots du paragraphe, au clavier.
choose_words = Choisir les mots dans le texte
choose_words_label = Texte du paragraphe : sélectionnez les mots que vous commentez
choose_words_help = Déplacez-vous avec les flèches (avec Ctrl, mot par mot ; Option sur Mac) et maintenez Maj pour sélectionner. Entrée prend les mots sélectionnés, Échap ferme.
choose_words_use = Utiliser les mots sélectionnés
