# Margin's web interface in English: the reference every other language follows.
#
# Each message's id is the name the code uses. `{ $name }` is a value the page fills
# in; a message with a number chooses its wording by the language's plural rules.
# Lines starting with # are notes for translators.

app = Margin
skip = Skip to the text
spaces = Review spaces
no_spaces = This node holds no review space yet. Create one with `margin space create`, join one with an invitation, or load the sample with `margin demo`.
drafts = Drafts
no_drafts = No draft in this space yet.
balance = Balance
balance_group = Stakeholder group
balance_region = Region
balance_people = People
balance_participants = Took part
balance_comments = Comments
balance_stances = Stances
balance_shares = Share of people / comments / stances
balance_among_registered = People are the space's registered participants.
balance_among_so_far = People are everyone who has taken part so far, a profile included.
balance_no_voice = No voice from: { $names }.
balance_no_voice_regions = No voice from the regions: { $names }.
balance_faint = Faint, under half their share of the people: { $names }.
search = Search
search_label = Search drafts and comments
search_in_space = in this space only
no_matches = No matches.
hits =
    { $n ->
        [one] 1 match
       *[other] { $n } matches
    }
match_paragraph = paragraph
match_comment = comment
status_peers =
    { $n ->
        [one] 1 peer
       *[other] { $n } peers
    }
status_no_peers = no peers
status_in_sync = in sync
status_syncing = syncing
status_offline = offline
status_live = live
you_are = You are { $name }
you_edit = editor
read_only_public = A read-only view published by this node.
read_only_login = You are reading. To comment or take a stance, open the login link that `margin node` printed, or paste the token from the file api.token in the node's home:
login_title = Log in to this node
login_token = Token
login_button = Log in
login_done = Logged in.
logout = Log out
no_identity = This node has no participant yet: to comment, create your identity (your name and stakeholder group sign everything you write).
identity_title = Create your identity
identity_name = Name
identity_affiliation = Affiliation (optional)
identity_stakeholder = Stakeholder group
identity_region = Region (optional)
identity_create = Create my identity
identity_cli = Or in a terminal: margin init --name "Your Name" --stakeholder civil-society
policy = Who may comment
policy_open = anyone
policy_registered = registered participants
period = Comment period
period_open = open
period_from = from { $date }
period_until = until { $date }
conveners = Conveners
editors = Editors
entries =
    { $n ->
        [one] 1 signed entry
       *[other] { $n } signed entries
    }
draft_counts =
    { $paras ->
        [one] 1 paragraph
       *[other] { $paras } paragraphs
    } · { $comments ->
        [one] 1 comment
       *[other] { $comments } comments
    } · { $revisions ->
        [one] 1 revision
       *[other] { $revisions } revisions
    }
import_draft = Import a draft
import_file = File (Markdown, Word .docx or OpenDocument .odt)
import_markdown = or the Markdown text
import_title = Title (optional: the first heading otherwise)
import_message = Message
import_button = Import
version = Version
current = current
read = Read
reading_old = You are reading version { $v }, not the current text.
compare = Compare versions
compare_from = From
compare_to = To
compare_button = Show changes
editor_tools = Editor tools
tag_name = Name the current version
tag_button = Tag
update_title = Import a new version of the draft file
update_button = Record revision
update_message = What changed
filters = Filter comments
filter_kind = Kind
filter_group = Stakeholder group
filter_region = Region
filter_any = any
filter_open = open objections only
filter_undisposed = without disposition only
filter_apply = Apply
filter_clear = Clear filters
filtered =
    { $n ->
        [one] Filtered: 1 thread shown.
       *[other] Filtered: { $n } threads shown.
    }
paragraph = Paragraph { $n }
bracketed = contains bracketed (contested) text
comments_n =
    { $n ->
        [one] 1 comment
       *[other] { $n } comments
    }
no_comments = no comments
open_objections_n =
    { $n ->
        [one] 1 open objection
       *[other] { $n } open objections
    }
respond = Respond to ¶{ $n }
respond_title = Comment or take a stance
whole_draft = On the whole draft
orphans = Orphaned comments
orphans_help = Their passage is no longer in the draft. An editor can re-attach them.
elsewhere = Not in this version
elsewhere_help = Comments on passages that this version does not contain.
compact_note = This draft has many comments: each paragraph shows its counts, and its comments open on request.
live_news = Updated: new activity from the network.
kind_comment = comment
kind_question = question
kind_suggestion = suggestion
kind_objection = objection
on_quote = on
commented_on = commented on { $v }:
now_reads = now reads:
paragraph_now_reads = the paragraph has changed since
untagged_version = an earlier version
orphaned = orphaned: the passage is no longer in the draft
suggests = Suggests:
edited = edited
retracted = retracted by its author
reattached = re-attached by an editor
hidden = hidden by a convener: { $reason }
muted = muted on this node: you chose not to see this participant's words
hide_title = Moderation (conveners)
hide_reason = Reason, shown to everyone where the comment was
hide_button = Hide for everyone
unhide_button = Show again
mute_title = Mute this author on this node
mute_button = Mute (only here)
unmute_button = Unmute
disposition = Disposition
disp_accepted = accepted
disp_partly = partly accepted
disp_declined = declined
disp_noted = noted
open_objection = open objection
reply_link = Reply or act
thread_link = Thread
replies_n =
    { $n ->
        [one] 1 reply
       *[other] { $n } replies
    }
thread_title = Comment by { $name }
back_to_draft = Back to the draft
passage = Passage (optional)
passage_help = The exact words you comment on; leave empty for the whole paragraph. Selecting text in a paragraph fills this in.
selection_button = Comment on the selection
para_select = Paragraph
kind = Kind
body = Your comment
suggestion = Proposed wording (suggestions)
post_comment = Post comment
reply_title = Reply
post_reply = Post reply
edit_title = Edit your comment
save_edit = Save
retract_title = Retract your comment
retract_button = Retract
retract_erase = Also erase its text everywhere (nodes keep only a signed stub)
dispose_title = Disposition (editors)
dispose_value = Answer
dispose_note = Note (a reason is needed to decline)
dispose_revision = Revision that made the change
dispose_no_revision = none
dispose_button = Record disposition
reattach_title = Re-attach (editors)
reattach_para = Paragraph number
reattach_button = Re-attach
stance_title = Your stance on ¶{ $n }
stance_reason = Reason (needed to object)
stance_support = Support
stance_accept = Can live with it
stance_object = Object
stance_abstain = Abstain
your_stance = your stance: { $stance }
stances_title = Stances
cancel = Close
diff_title = Changes from { $from } to { $to }
diff_added = added
diff_removed = removed
diff_changed = changed
diff_unchanged_n =
    { $n ->
        [one] 1 paragraph unchanged.
       *[other] { $n } paragraphs unchanged.
    }
diff_none = No differences.
error_title = Something went wrong
go_back = Go back
# The label of the list of languages in the page header.
language = Language
# What's new, on /news.
news_link = What's new
news_title = What's new
news_no_identity = The news is for the node's participant: create your identity first.
news_since_mark = Since you last marked the news read.
news_since_never = Everything so far: the news has not been marked read on this node yet.
news_since_date = Entries made since { $date }.
news_since_label = Since (date)
news_since_button = Show
news_replies = Replies to your comments
news_dispositions = Dispositions of your comments
news_revisions = New revisions
news_where_you_took_part = Where you commented or took a stance
news_closing = Comment periods closing soon
news_nothing = Nothing new since you last looked.
news_mark_read = Mark all as read
news_more = … and { $n } more.
news_replied = { $name } replied to your comment:
news_disposed = { $name } answered your comment: { $value }
news_revised =
    { $n ->
        [one] 1 new revision, by { $name }:
       *[other] { $n } new revisions, the latest by { $name }:
    }
news_since_read = Since you last read it, paragraphs changed: { $changed }, added: { $added }, removed: { $removed }.
news_show_changes = Show the changes
news_not_read = You have not read it on this node yet.
news_read_current = You have read the current text.
news_commented = { $name } ({ $kind }) on { $para }:
news_objects = { $name } objects to { $para }:
news_para_gone = a paragraph no longer in the draft
news_closes =
    { $days ->
        [0] { $title } closes { $date }, today.
        [one] { $title } closes { $date }, in 1 day.
       *[other] { $title } closes { $date }, in { $days } days.
    }
# Taking part from a browser, on a mirror's public site (/participate).
take_part_title = Take part
take_part_trust = What this site can and cannot do
take_part_key = Your key is made in this browser and stays in it: every comment and stance is signed here, before it leaves.
take_part_sees = This site sees what you post, which is public anyway, and your network address.
take_part_cannot = It cannot write in your name or change what you wrote: every node checks your signature and refuses an altered entry.
take_part_script = Taking part needs JavaScript (your browser signs); reading does not.
take_part_identity = Your identity
take_part_space = Review space
take_part_create = Create my identity in this browser
take_part_your_key = Your key (give it to a registrar if the space asks for registration):
take_part_respond = Comment or take a stance on a paragraph
take_part_stance = Sign and post my stance
take_part_signing = Signing in this browser and posting…
take_part_posted = Posted and signed by you.
take_part_refused = Refused:
take_part_created = Your identity is created and kept in this browser.
take_part_waiting = Signed, and kept in this browser until the connection returns; it will be sent then.
take_part_sent = Sent: what was waiting in this browser has reached the site.
take_part_offline = No connection: creating an identity needs one.
take_part_moved = The site gave an anchor on other words than those you selected, so nothing was signed.
take_part_working = Working: stretching the passphrase takes a few seconds…
take_part_differ = The two passphrases differ.
take_part_saved = Backup saved. Keep the file, and its passphrase, somewhere else than this browser.
take_part_restored = Your key is restored in this browser.
take_part_backup_title = A backup of your key
take_part_backup_help = Your key lives only in this browser: clearing its data loses it. The backup is a file encrypted with your passphrase (age), which this page restores in another browser and `margin key import` reads on a node.
take_part_backup = Save a backup of my key
take_part_link_title = Link this browser to your identity
take_part_link_help = If you already take part from a Margin node, this browser can speak as you there too: make a code here, then run `margin device add CODE --name NAME` on the node that holds your identity within a day. Once the link reaches this site, what you sign here counts as yours, once.
take_part_link = Make a link code
take_part_link_made = The code is below: give it to `margin device add` on your node.
take_part_passphrase = Passphrase
take_part_passphrase_again = The same passphrase again
take_part_restore_title = Or restore a key from a backup
take_part_restore_file = Backup file (from this page, or from margin key export)
take_part_restore = Restore my key
take_part_hint = To comment here, reply, or take a stance, first create your identity in this browser:
take_part_hint_link = Take part

# Accessibility
# Said to whoever reaches a highlighted passage with the keyboard.
highlight_help = Highlighted passage: Enter or Space goes to its comment, Escape there comes back.
# Choosing the passage of a comment among the words of the paragraph, with the keyboard.
choose_words = Choose the words in the text
choose_words_label = Text of the paragraph: select the words you comment on
choose_words_help = Move with the arrow keys (with Ctrl, word by word; Option on a Mac) and hold Shift to select. Enter takes the selected words, Escape closes.
choose_words_use = Use the selected words
