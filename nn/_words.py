"""The built-in word list of `nn.text`: 4,000 words drawn (seeded, then sorted) from the
lowercase a–z words of Debian's `wamerican` 2020.12.07 (`/usr/share/dict/american-english`),
so the language-model notebooks and tests run the same way where that package is missing.

The word lists are SCOWL's, under this notice (from the package's copyright file):

    Copyright 2000-2011 by Kevin Atkinson

    Permission to use, copy, modify, distribute and sell these word lists, the associated
    scripts, the output created from the scripts, and its documentation for any purpose is
    hereby granted without fee, provided that the above copyright notice appears in all
    copies and that both that copyright notice and this permission notice appear in
    supporting documentation. Kevin Atkinson makes no representations about the
    suitability of this array for any purpose. It is provided "as is" without express or
    implied warranty.
"""

WORDS = """
abiding abloom ablution abnormal abolitionist abound abrasiveness abrogation abscissa absences
abstinent abused abusively accentuates accept acclimatization accordingly accurately accuser
accusing aced acetates achiest achievement acolyte acrobatic acrylics acted actionable activism
actor acts acumen acutes addicting addressable addresses adenoid adequately adipose adjectivally
adjourns adjudicating adjudication adjust adjustors adman administering admire admirers admiringly
admittance adoration adored adulterers advancing advent adventuresses advertiser advisability
advise advisement aerospace affect affiliations afflicting affluence affrays aficionados
agglomerating agriculturalist aground aids airdropped airfield airfoils airlifts airsickness aisles
alarming albumen albums alcoholism alders alertness ales aliased alienates alkalis allays
allegiance alleys alligators allotment alphabetized already altar altered alternation alums always
amaryllis amasses amazes ambiguous ambiguously ambitiousness amigos ammonia amoeba ampersand ampler
ampul amuse amusement anaemic anaesthesia anaesthetizing analyzed analyzers anarchic anchorwoman
ancients anecdota angered anglers angoras angriest angstrom angularities ani anions annihilate
annihilators annuities annul antagonistic antarctic anteater anted antennae anthropologist
anticyclones antidotes antiquaries antiseptics antithetical anxieties anxiously apiary apologetic
apology apostrophes appalls appetizers appointment approximately apron apses aquanaut aquaplane
arabesque arachnid arborvitae archery architectural arcked arduously are arithmetic armature
armhole arming armory arresting arrogated arson artist artless ascending ascends ascribe asides
aspirin assassinated assess assignations assortments assumes asterisked astounding astoundingly
atonement atones atria atrociousness attacker attackers attaining attains attitudinize attractions
attractively atwitter augment auguring auspicious austerest austerities authorship autobiography
autocrats automatic automaton autoworker avalanche averred avert avg avid axioms axles azures babe
babyhood babysat backgrounds backlashes backpedaling backstop backstory backstroked bacteriological
baddest badgers badinage badness bakery balalaikas balcony balds balked ballad ballerina ballyhooed
bandolier bandstands banjoist bankroll banning banquets baptism baptisms barbecuing barbed
barbequed barbershops bare barmaids barometers baron barraged barrages barrenness bartender
bartered baselines baseman baskets bassos basted battlegrounds battleship bayberry bearable beaters
beating becalmed bedsides beekeepers beet begrudges behave behead beheld beleaguer believers
bellybuttons belonged bemused bends benevolence benignly berry besought bespoke best bestiality
bestride bestriding betas betcha betrayers bettering bewail bewilders biannually biassing biathlon
bicepses bicycle bided biers bifocal bigotry biker bilingual billboard bimboes bindery binge binged
binging bingo biographers biosphere birdied birthplace bisection bismuth blackberries blackened
blacker blacking blackjacked blackjacks blame blamed blandly blaspheme blasphemed blasted blazers
blazoning bleacher bleeds blenders blip bliss blissfulness blizzards blockaded blockhouses blog
bloodsucker bloopers blowguns bluebird blusher boast boating bobble bodyguard bodywork bogeymen
bogies boldly boles bombastic bomber bong bonitos bonnet bonnets bonnie bonniest bookish booklet
bookmarked booksellers boorish bootless bordered botanist boudoir bounders bowdlerize bowstring
boycotting bozo braced braids brainiest braised bran branched brand brandished brands brashest
brassy brattier bravado breakdowns breaststrokes breather breathers breathy breeziest breezing
breviary brickbat bridal bridals brigade brigantines bright brilliancy brilliants broadcast broaden
brooded brooders bruins brunch brunches bruskness bubbliest bucked buckeyes bugger buggier bulging
bulimics bulks bullocks bungled bunts buoy burliest burnooses burring burs bursars bushiness
businesses businessmen butt buttermilk buttress buttressing buzzkill bystanders byways cachet caddy
cadenza cadmium caftans calabash calculus caliper calk calking callipering callipers calmer calming
camel camomile campanile campier campsites canards canceling candelabrum cannibals cannon
canonizing caparisoned capped carbines card carding carefree carfare carmines carnal caroled carols
caroming carpetbagging carrousel cartooned carts carving cascades cased cashiered cashing
casseroling cassette castrated casualties cataclysms catalyze cataracts catatonic catches catching
caterers catnip cats cattail caused caution cautions ceasing cedilla celebrity celestas centaurs
centenaries centennial centerfold centralize cetaceans chafed chagrinning chairing chamberlains
champs chancellor chantey chanticleers chanties chaperon chaperones char chargeable chariot
charioteers charring chastened chattels chattiness chauffeur chauffeuring cheapened cheater
cheerfully cheesy cherished chieftain childcare childish chilies chiming chimney china chipmunk
chirrup chiseled chiselling chitlings chocks choppy choreographed chortle chorused chorussing
chronometers chrysanthemums chummed chumminess chummy churchgoer ciabatta cicatrices circuitous
circulating circumcise circumcision circumscribing circumstanced cisgender clairvoyance clambers
clamming clamorous clarioning classical classified classifies classify cleanliest cleanse cleared
clearinghouses clef clematises clergywomen clerks clews clinking clipped clitorises cloak
cloakrooms cloche clocking cloudiness clouds clove cloverleaf cloverleafs clowned clubfoot clubs
clucked clunks clutch coarsened coasting cobalt cobbler cobweb cockily cockneys cocoon codfish
codger coffers coffined cognizant coifing coifs coins colicky collaborators collages collateral
collectivist combing combo comet comets comforted commends commentating commercializes commingle
commingling commiserates commiserating commissar commodities companies comparatively comparing
compartmentalize compatibly compels complacently complemented completion complexities composes
composing compounding comprehension compresses compression computer computerizing conceited
concertmaster concerts concessions concludes concubine condescended condescension conduction cones
confabs confectioneries conferences confessionals confessors confirm confiscate confiscation
confused confuses confutes congresswoman conjecturing conjugate conjured conjurers connectives
conquistador consists consortia conspicuous constellation constitutionality constrictions
constructor consul consultancy contenders continental contort contractions contradistinction
contrary contrive controverting conundrum convalescence convene conversation convict cooing cookers
coolants coon coos copulas copycat copyrights corduroy cornbread cornea corolla corporations
correspondences corruptible corset cosier cosigning costliness cots cottonmouth cougar cough
counselor countably counter counterrevolutionary countersigns cousin covenanted coxswains crackpot
crankshafts crape crappiest craps crassly crawlspaces crayoned creaks creams creates creators
credentials credibility credit creels creeping crematory creosote crest cretins criminally
criminologist critiques croak croaks crooking croon crooner crossways crotches crouches crowdfund
crowning crucify cruets crummiest crusade crusted cry crystallizes ct cub cubicle cuddled cudgels
cued cult cultivate cum cunningest cupped curatives curlews curtailing curvaceous custard custody
customary cutlet cuts cyberpunk dabbing dabs daily daiquiris dalmatian damping dampness damsels
dappled darnedest dartboards darting dashboards dashed dashing dated dauphins davits dawdling
dazzles dding deacon deaconess deadliness deadlock deafer deafest deafness debarment debates debug
decanted decimate decimating decipherable decline declines decolonization decolonizes decrescendo
dedication deemed deescalate defender defends defensible defer defile defiled deformations defray
deft deftness defuse degrees dehumidifiers deifying deity delectable delight delighted delineations
delinquency delinting delusive demagnetized demerit demilitarized demo democracy demonstrably
demonstrating demos denigrated denominational denseness dentin departmentalizing depending
depictions deployments deploys deport deprecate deprecated deprogram derbies derelict
dermatologists derrick desalinating descend descended descry desiccated designation desktop
desolately destruct destructed detachment detailed detained detector determinism detesting
detonating detoxing devaluation devastation deviant deviants devilishly devilled devilment devolved
devote devoutest dibbling dictatorial dieresis dietitian differentiates diffs digested digestible
digitized digraphs dilates dilatory dilettante diluted dimensional diner dingy diorama directories
dirge dirtier disadvantageously disambiguation disassociates discernment discharge disciplinary
discipline disciplines discomfits disconcert discontented discovery discussion disdain disembowels
disengagements disgust disheveling dishwashers disinformation disinherits dislocate dismantle
dismissal dismisses disorganized dispensable dispenser displaced displeases dispossession
disputations dispute disputing disquieting disrepair disrespectfully dissatisfaction dissatisfied
dissection dissemble dissoluteness dissuasion distanced distort ditches ditties diuretics divan
dive diverse divinity division divvied doctrine doggedness dogtrot doilies dollies domesticates
dominating donuts doodling door dopes dory dose doubly douched doves dowdier downgraded downpours
downtrodden draftsmanship draftsmen dragged dragnets dragons dragoon drags dressers drier drifting
driveling droller drouthes drowsier drudges drugstore dryads dryers dubbing duchies duellists
dumbbells dune dunged dunner duress during dustmen dusts dwells dyke dykes earldoms earlier earths
earwig eases east eave eavesdrop ecclesiastic eclecticism eclipsing economically economist edgewise
edict edification editable editorializing editorially eeriness effervesces effulgent egalitarians
eggbeaters egghead eighteenth ejaculate elective electorate electrified electrocuted electronically
electroplates elevations elf elfish eligibility eliminated ell elongating eludes email emanate
embalmers embark embedded embezzlement embodiment emboldening emeralds emigrants eminent emos emote
empathizes emphatic empirically employ employments empower emulsified encamping encapsulated
encasing enchantment enchants encoders encodes encrustation endearments endemic ending enfranchise
enfranchises engineering enhancement enhancing enlightening enlivens enrich enrolling enrolment
enshrouding ensnares entering entertainers entertainingly entrails entranced entrances entrenched
entrepreneur entwined enures enveloping enviously environment envoys epigrammatic epoxied
equalizing equates equestrians equipping erase erects ersatz erythrocyte escaroles escort escorted
esophaguses esp espadrilles essences establishes esteeming estranged ethereally ethical etiquette
euphemisms euthanasia evacuate evangelizes evasions evasive evens eventful ever evermore evillest
eviscerated evocation ewers exalts examined excavation excellence exchanged excise excision
excitedly excommunicated excruciatingly excusable executor exhalation exiling existences existing
exit exorcist expect expeditiously expenses experienced experimentation expire explicit exploding
exploitative expose expository expulsion extemporizes extensional extensive extractor extractors
extramarital extraterrestrial extremists extrusion eyeglass eyelash eyepiece eying fabrics facelift
fact factotum fading faintly fairylands faithlessly fakers fakes fallacies fallout familiar
familiarization families famines fanciful fanny fantasizes farsightedness fastness fastnesses
favoritism fealty featureless feinted fell female femoral fen ferments festal fetchingly
feudalistic fibrous fictitious fiddlesticks fidgeted fiends fierce fiercer fieriness fiery
filamentous filibuster filibustering fillies filmed filmstrip final financiers findings fingerprint
firewall fishermen fishier fishiest fist fitter fitting fixture fizzing flagellums flagging
flagpoles flagships flaming flammability flapper flashbulb flashing flatcar flattening flatterers
flatteringly fledgelings flimflammed flimsiness flintlocks flips floatation floaters florist
flowerbed flowering flowery fluster flustered fluttered flyer foal focal foe foggiest foldaway
folly fondu fonts footfall foppish forages forbearing forbiddings force foreboded forefronts
foregather foregoes forehands foreordain forerunners foreskin forestation forfeiting forfeits
forgiveness forklifts formats forming formulate fornicate fortunate found founding foxglove
foxtrotting fracking fragrance framers frameworks franchisers franchising fraternity fraternizes
fratricide fray freebooters freelanced freeman freer freewheel freeze freezing fresco fretfully
friendships frighted frills fringed friskiness frittering frolics frontage frosted frosting frowzy
frozen frustrated fuchsias fueled fulfill fulfilling fumbles fun fundamental fundamentalist funeral
funneling funnels furl furnishings furthering furze fusillade fussing fuzz gabardine gabbles gales
galls gambits gambler gambols gammas gangplanks gangrening gangster garage garages garbage gardener
gardens gargled gargling garishly garments garnering garnishing garotting garrets garrisoning gash
gaskets gasohol gasworks gaudily gaudiness gaunt gauntest gavel gayness gearwheels geckoes geckos
geek geeky gelled genealogists generalizations genius gentrify gentry geologist geraniums
geriatrics get getaway gibbets gibed giddy gigabits gigs ginning gipsy girlfriends gist glad
gladdening glassware gleeful glimmer glint glints glitching gloss glossier glossiest glossiness
glottis glows glucose gluts gnu goalie goalposts goatherd gobbledegook goblets goiters goldsmith
gonks googled gospel gouged gourds grabber grafter grain grams graphically grassed gratuity grave
graves gravitates grazed greasepaint greases greens greps greys gridlocks gringos gristly grizzly
grocer grocery groggiest groom grooming grope grottoes groundings groundless groundlessly group
grouping grow grudges grue gruesomest grunges grunted guacamole guano guard guerillas guff guffaws
guidelines guillotining guilt guiltier gulag gulping gun gunfight gurgles gynecological gyp gypping
gyrate gyro ha habitability hacienda haggard hah hailstones haircut hairdos hairnets halfpenny
halleluiahs halo halted haltered halyard hammerhead hammering hangers hangings hangman hangmen
happenings happens harass hardens hardheartedly harelip harridans harvesting hash hastening hasty
haughtier haughtiest have haversacks hayloft headstone headwinds hearkening heartbreak heat
heavyweights hectares hedging heed heedlessly hegemony heiresses helical helices hellish hemlock
hemophiliac hemorrhaging hemp hemstitched henceforward henpecked hep her heralded herbalists
heroics hesitantly hideousness highlighting hillside hing hint hippy hirelings historic hitchhiker
hits hoariest hobbled hobbles hobbyhorse hobgoblin hock hoeing hoisting holy homages homburg
homeowner homeroom honester honorable hoodlums hook hookworms hooraying hoot hopscotching hording
hormone horoscopes horrible horsehide horseshoe horseshoed horsewhips horsing hoses hostelry
hostilities hotels hotkey houmus houseclean housemaids however huffiest hug huge hulled humanoids
humbugged hung huntresses hyaenas hydrolysis hying hymns hyped hyperventilated hyphening hypnotism
hypnotizing hypotenuses icecap iciness idealism ides idolizing igneous ignite illegitimately
illusions imaginations imaging imbecile imbed immediately immemorial immigrating immoralities
immortal immune impart impassable impatience impeachment impeachments impels impermissible
impieties implacable implantation implement implicit implies implored importing importune imposes
impotent impresario impressive imprudent impulsion impure impurely imputes inapt inbred inc
incapacitating incarnates inced incinerates incite incongruous inconsiderateness inconspicuousness
inconstancy incontrovertible incorporated incorrectness inculpated indecisively indemnifications
indemnified indemnities independence indeterminate indeterminately indexing indicated indication
indications indigestion indignity indirection indolent indulges inelegant ineligible ineligibles
ineptitude ineptness inequities inequity inestimable inextinguishable infallible infelicity infer
infested infiltrates infiltration infinitely infix inflect influences infotainment infraction
infringement infuriated infused ingeniously ingratiate initiated initiates injured inlaid
innocuously innovations innovators inpatients insane inscribed inscribes inscriptions insecticide
insecurities insightful insofar instant instils institute instrumentals insulate insureds
integrates intellectuals intensity intention intently interaction interbreed intercessions
interconnected interfered interior interject interlarded interneship interposition interpreter
interpretive interracial interrelationships interrogators interrupts intersecting interviewing
interweaves intimate intramural introduces introverted invaliding invalidity invariables invasions
inventing inverse investiture investor invigoration invisibly invocation inward inwards iodizing
ironies irrefutable island ism isolation issue issuing itchy jabbered jackets jade jaggeder jambs
jasmines jaunting jawbreaker jealous jealousy jeeps jeez jelled jerking jetted jettisoning
jewellers jiffy jinrikisha jiujitsu joggle johns joke jokes jolted joyfuller jubilee juices juniors
junket junking juries kahuna kaleidoscope kayak keels keenly keeping kelp kernels kettledrum
keystrokes kinfolk kit kitchenettes kitchenware kitties kneads knuckled knuckling kopecks kopek
koshers kumquats laburnums lacerate lad ladies lagers lallygag lamination lamming landfills
languished languorous lapsing larder larding larks lasagna lased lass lat laterally lathing lats
latte laughably lava lavishness lawsuit laxer laying layoffs layouts lazy leached leafier leaking
leashed leasing leftism legalisms legerdemain legibly legislators legislature legmen legume lessors
letups level leverages levered liaised liar libeling liberated liberator lief lifeboat lighter
lightly likableness likeness limbers limousine limousines limp limpets linkages linnets lionhearted
lipids lipreading liquidated list listening listings liter litigate little liverwurst loaves
locally locket locus lodestar lodger loft lofting logged logistics loll loneliness longboat
longings lookup lordliest loss lotus lovers loyalties ls luggage lugubriousness lukewarm lullaby
lumped lunchbox lurk lusts lychees lymph lynchpin macabre macaroni mademoiselles magic magician
magnetism magnitude magnolias mainland mainlined mainsail malevolence maligns malingered manacling
managerial mandated mangier mangling manifolds manipulating mantel mantilla mantis mantlepieces
manufacturer manured marathoners marijuana markers marmalade marshals marvelling masc mashing
mashup masonry mastermind masterminds masterpieces masthead masticating matchbook materializes
mattes maturation maximum mayfly maypole me mealy meaner mechanically mechanizing medicates
meditated meet meeting melded menacingly merchantmen merino merited mesh mesquites messiah messier
metamorphose metastases meteoric meteoroids meteorology metro metropolitan microfilm microorganism
microscopic microsecond middlebrow middleman midge midwiferies midwifery midwived mightier migrants
migrated mildest mile milepost milieux militarists militarization militiamen milkman milkmen
milkshake millennial milling mimicries miming minarets miners minestrone miniaturization minibus
minored minster minutely mirrors misapplying misapprehends miscalculates miscalling miscarries
miscuing misdemeanor misfire misfitted misinterpret misjudgement mismanage misplaced misplaying
missilery mistiness mistreating mixing mobile mobilization modishness modulators mogul moistest
moldered momentousness mommas monarchy monetize mongered mongering monickers monocles monogramming
monstrances moonshot moose mope moray morn mortgagors mortuary mosque motiles motivations motlier
motorcades mottling mottoes mousiness mousy mouths mouthwash move movers much muck muddled muffins
muftis mulatto mulishly mulishness mulling multiplexors multiplicity multipurpose multiverse
multivitamins munch mundanes murals murmur mushiness muskellunge musketeers muskmelon mussel musts
muttered muttering mutually mystery nab nabobs nadir nailing naively nakedly narcotic narking
narwhal nasal nasalizing nationwide nattiest naturalizing naughtier nautically navigational
navigators navy nebula necessitates nectar needier negates negatives negativing neglecting negligs
neocon neologisms nerdier nervier nervously nestle netters networked networking newbies newest
newsiest newt next nibblers niceness nifty nightmares nihilism nineteens nineteenths ninny nitpicks
nobody nods noiselessly noncom nondenominational nonesuches nonindustrial nonlinear nonproductive
nonprofessional nonprofits nonreturnable noodling nooks noose northbound northerly nostrums notches
nourishment novice noway nowhere nozzles nucleic nudes numbskulls numskulls nurse nurserymen
nutmeats nutrient nutriment nutritional nutshells oaring oatmeal obelisks obesity obfuscate obits
objection obligated obscured obscurities obstacle obstructs obtains ocarinas occult occurred
octette octopi octopuses odorless offices offstage oft ohs okras oligarchy omelette omens omnivore
omnivores onuses operate operative operators opposes oppressed oppressors optimistic oracle
orangeades orates oratorical oratorio orchard orchestras orchestrates orchids orderings orderlies
orders ordinance ordinariness organisms orientation ornateness orphan orphanage orthodontia
orthodoxy oscillations oscilloscope osmosis ostentatiously ostracizes ousters outbound outburst
outcropping outfitted outing outmoded outpost outranked outsourcing outspokenness outvote outweighs
overachieve overacts overbalance overcrowded overdone overdoses overeaten overexposed overgrow
overhauled overindulging overlooks overlords overnights overpays overs oversleeps overstating
overture overturning overworks owe owlets owlish oxidizing oxymoron pacifies paint pairs paisleys
palaces palazzi palette palpate palpitation pals panegyrics panelist panels panoramic panthers
pantie pantsuit pantyhose parable parabola parachuted paraded paragraphs parallel paralytics
parameter parboiling pardoned parfait parka parked parolee parquetry parrakeet parsnips parsonages
partly passbooks passels past paste pastern pastie pathos patine patois patriarchy patrimonial
patrolwomen patronymics pats paunchiest paycheck payer peaceable peacemaker pearlier peddled pee
peel peeling peered peeved peewees peg pegged pencil pendulums penguins penologist penology
pensioner penultimates peonies peopling peppier perambulate perceives percentages percussion
peregrination peremptory perfectionism perforce periodical periphrases perjured perjures perjuries
perking permute peroxiding perpetrating perpetual perpetuals persuasive perturbs pervading
perverting pessimism petitioner petrol petroleum pettiest pettiness pewees pewters phalanges
pheromones philanthropic philanthropist philanthropy philosophize phobias phoned phoneyed phoneys
phonic phoning phonographs photographic photons pica picante pickaxes pickles pictorial piecework
pierced pigskin pigtails pilferer pill pillar pimento pimp pimping pinched pined pinstripes
pipelines piquing piranhas pirouettes pistachios pithiest pittance pivots placental placing
plagiarist plaguing plaits planking plastering plateaus plausibility plausible plausibly
pleasantries pleasantry plonking ploughshares plovers plumbers plummeted plunge pluperfect plural
pluralizes plying pock pocketing podcasts podded poet pogrom poising poker pokeys polarize
pollinated polling polonaise poltroon polyglots polymer polytechnic pomp pompadour pompadours
poniards pontificate pony pooches poodle pooh popularity populating population populations porches
pores pornographic porpoises portability porterhouse portray portrayals posed posing posited
possessive posthaste postmortems postponement postulating potash pothook potluck pottered pottiest
pouched pouches poultice pouring powders powerboats pragmatist pralines prawned prayer precarious
precedence preceding preconceive predecease predicative predictive predispose preeminent prefabbed
prefabricating prefigured prehistoric prejudices premised preoccupation preoccupies preponderates
preregisters prerequisite presage presetting press pressures pressurizing pretending preterites
prevaricates prevention previewers prick primary print prioresses priorities prioritize
prioritizing pristine prithee prized processional proclaim procreates procreating procurers
productively prof profanely prognosticator programmers programs proletarians prolixity prolongation
prolonged promissory properest prophet propounding proprietaries prorates prosecutor prospered
prostitution prostrates prostrating protean protocol protract proves proviso provokes prow
psychoanalyze psychopath psychosis puberty publicity publicize publicly published puckered pulp
pulpiest pummelled punching punctuate punctures punter pureness purgatory purifying purposely
purred pushcart pushover puzzle pyramided quad quaffed quails quainter quaked quaking quartettes
quashed queasiness quenched quenches ques quesadillas quiches quick quietly quietness quilter quire
quirk quisling quondam quorum quorums quotas quoth quotidian rabbit racecourse racketing racking
radiates radioisotopes raffled rafting raggediest raiders railroad rainbows rainfall rainforest
rainstorms raked ramble rambunctious ramming rangiest ranting rapacity rapes rarity rashly raspiest
rat rationalism rattan ratted rattraps ravine ravished razed reachable reaches readout reaffirming
reappraisal rearrangement reasserting reassured rebate rebuilt recede receded receptiveness recite
reckoned reckoning reckons reclamation recluse recluses recoiled recollects recommenced reconciling
reconditioning reconnaissances reconnoiters reconquering reconvene reconvened rectangle redbreasts
redefines redeveloping redid rediscovered redistribute redolence redresses reedy reestablishing
refashions referendum referrals refiling reforming refrains refresh refrigerator refuges refuted
regained regaining regimens regionalism regulars regulate regulation rehearsals rehire reimbursing
reimposing reined reiteration rejected relate relay relieve relived relocated remains remarkable
rematch reminders remissness remodel remortgaging remotely remounting removal rend renegotiates
renovations rentals reordering repasts repayments rephrased rephrases repossesses reprobates
reproducible republic republishes repulsively requires requisitions rescind reservations reserves
reservoir reshuffling resins resonators respecting respective responsibility rest restated
restaurateur restitution restiveness restorers restoring restrain restrict restricting restrictive
restroom restructured restudy restudying resubmitting resurfaces resurrect retailers retainers
retardation retouch retract retreaded retrogressing reuses reveals revelations reveled reveler
reveller revenged revenges reverences reverential reverie revert reviewer revived revivifies
revokable revolts revolved rewindable rhapsodies rhapsody rhetorical rhetorically rhino
rhinoceroses rho ribaldry richness ridiculous rigidly riles riling rills ringing riper ripped
ripsaws risked ritualistic roadhouses roasters rocked rocket rocky romanced romanticizes rook
roomers rosiest rotor rottenest roundhouses roundup roustabout routeing routinize rubbernecks
ruddiest ruffians ruler ruling rum runaways runes ruptures rutted sabbatical saboteur sacrament
sacraments sacrificial saddles sadistic safaried safaris safes safflowers sailfish saints
salamander salesclerks salivating sallying saluted salvo salvoes sameness sancta sanctification
sanctified sandblast sandcastle sandpaper sarape sarapes sat satelliting satiate sauce saucer
savage saved saving saviors savory scaffold scaffolding scalp scampered scandalized scandalizing
scandalously scanties scapegoated scarfing scene scenes scenic scheme scherzi schlepp schlock
schmalz schooled schoolmarms schrod scissors scolds scooping scoring scowled scraps screen screwier
screws scrunched scrunchie scrunching scudding scuffing scurry scurvier scurvy scuttled scuzzy
seacoast seagoing sealants sealer seamed seaplanes searchingly searing seaside seasoning seaweed
seaworthy seconded seduces seedy seeks seemliness seeped seethed segmentation sellers selloffs
semen semifinalists sending senselessness sensibly sentimentalists sentimentalizes sentinel
separated septettes septic septuagenarian seraglios serenaded serenity serfdom sergeant servant
settled seventieths sexier sextets shaft shaikh shakers shakier shallow shame shape shapelier
shared shaves shebang sheepish sheepskin sheiks shelled shenanigan shimmying shiner shingled
shingles shinning ships shittier shivers shivery shlepp shoestring shoestrings shoplifters shopworn
shortcakes shortchanges shorten shortenings shortfalls shortsighted shotgunned shoulders shout
shoved showers showmen showpiece showy shredders shrieking shrillest shrilling shuttering shysters
sic sickeningly sickest sickly sidecars sideswipe sidetracking sidetracks signboard signifying
signings silent silica silicons sillier silo simmering simplex simulation sincere sincerely sirs
sirup sises sizzling skedaddle skedaddled skimming skinflint skinniness skips skit skulkers
skyjackers slabs slanders slay slayers sleaze sleeking sleeks sleepwalk sleepwalked sleeves
slenderized slices slight slimmed slipped slithery slobbers slovenliest slued slumlords slurring
slyness smart smashes smearing smell smiling smokes smoothes smoothing smudge smudgy smurfs
sneakiest snicker snickering snobbery snooped snooper snot snottiest snotty snowfalls snowflake
snowflakes snows snowy snuffed snuffles snugging sodas sodded sojourned solar solemner
solicitations solvable someday sometime soonest sootiest sophistication sops sores soubriquets
souping sovereigns soviets soya spacesuits spacewalked spammers spare sparing sparkled spate
speakeasy specialties species spectators spectrum speedups spelling spermicides spider spied spikes
spindles spinning spinoffs spins spinsters spire spirea spite spitefulness splatter splendidest
splicing spokespeople sponges sponsors spooking spoonsful spores sportscasters spot spottiness
spreader springboards springy spritz spritzed sprockets sputtered squadrons squeakier squeaking
squelching squirmiest stabbed stabbing stacks stagger stairs stalemated staleness stallions stamp
standoffs standpoints starlet start statehood statehouse staving steeples steins stenographic
stereotype stereotyping sterile stevedore stewardship stiffen stilled stimulating stimulus stinking
stockbrokers stockrooms stockyard stoners stonewall stopping storerooms stormy story storytellers
stowaways straddling stragglier straightedge straights stratifies streaking streetcars strength
striding strikeout strikers strikes strikings stripe stripes stripteases stroking strontium
structuralist struts stubbornly stuccoes studious studly stumbled stumping stunted stupefied
stylists stymie suaver subcommittee subheading subjecting submission suborned subscribe subsisting
subsists substantially substantiations substantives substituting subtracted subversion successive
succor succumbing suckled suckling sufferance suffices suffixes sugar suggester suitcases sulfured
sulphurous summered summers summonsing sunbonnets sunburned sunders sundry sunken sunshine suntans
superego superiority superpowers superscripts supervened supplementing supply surceased sureties
surfs surliest surplused survey suspicions swaddled swank swanking swatches sweetbriers sweetening
sweeties swellings swifts swigs swill swimmer swing swivels swollen swooned swooning swops sword
swordfishes sybaritic symbols symmetrical symmetry synthetics syphilis systematically tabu
tackiness tackler tactician tailpipes tailspin talks taller tallyhos tamable tampered tangelo
tangle tangling tankfuls tantalizing tap tares tarmacking tarnishes tarpaulins tartest tattle
tattled taught tavern tawny taxies teach team teamwork teapots teaser teaspoonful teaspoons
technique techno tedium teepees teetotaller teetotallers telephotos televised temperature
tempestuously temping temporal temporized tempting tenements tentacles tenure terabyte testes
testier testifies testifying testimonials testiness testosterone textbooks theirs thematic theorem
thermoplastic thermostats thickened thickening thickest thickets thicknesses thighbones thimbles
thingamajig thirteen thongs thoroughly three threesome threshing throbbing throes thrushes
thumbscrew thymuses ties timing timpanists tincture tinctures tinderboxes tinges tinning tinny
tinsmiths tiny tipis tipping tipsier tirelessly tiro toeing toiled tolerances toll tomahawking
tombing tongue tongued tons tools topcoat topknots topple toppled topsail tormented tors torsi tort
torture tot totaling toted touch toughens toughs tousles tout toward township traces traditional
traduces tragedies trained traipses traitor tram tranquilizing tranquiller transceivers
transcendence transcript transept transepts transfiguring transfinite transgressed transgresses
transliterations transmigrate transmigrated transmutation transpiration transsexuals traumatizing
travails traveled traveler travesties tread treadling treadmills trebled trench triangulation
tricepses trickiness trifectas trig trike trilateral trilaterals trilled trimesters trimness
trivets tromping troopers tropic troubadour troubleshot troughs trouped truces truckload
truculently trueing truffles trumped truncates trustworthier tryst trysts tumbrel tumbrils tundras
tuners tungsten turnkeys turnoffs turntables tutor tutored tweet twentieths twinkled twitting
typhoons tyrant tyro ulcerates ulceration ultraviolet umpteenth unaccepted unaltered unanswered
unavoidable unbends unbolted unbuttons uncharitable unclaimed unclasp unclean uncles uncoils
uncommonly uncommunicative unconcernedly uncontrollable uncontrollably uncorroborated uncouples
uncultivated undercurrent underexposed underlain underpay underplaying underscored undersigned
understates understudied undertones underwrites underwritten undiscriminating unearth unearthly
unembarrassed uneventful unexceptional unfairer unfamiliarity ungovernable unguent unhinge
unholiest unicorn uninhabited uninstalled unintelligible uninterpreted union uniquely unknowns
unleashing unlikelier unmanned unmans unnoticed unobtainable unpacked unplugging unpredictable
unprofessional unpronounceable unravels unrepentant unreserved unsaddle unsalted unsanctioned
unseated unsent unsnarls unsoundest unspoilt unstrung unsubscribe unsubstantiated untangled unties
untruest unwed unwieldier unwillingly unwrapped unzips update upgraded upheaval upholster
uproarious upsetting upswing urethras us usernames usherette usury uttermost utters uvulae vacate
vagabond vainly vale validation valorous vandals variably varicose varies varmint vegetation
vehement veils veins velour vendetta vendor ventilating vents verandah verdant verifiable versatile
vested veterinarian vetted viaducts vibrant vibrates vices vicinity vicissitude victorious
victualing vied viewed viewing vigor vigorous vindicates viragos virgules virtuous visages viscount
viscus visit visiting visualizes vital vituperated vividly vivify vocalized vocalizes vocally vogue
voicemails volubly voluntarily voted vouched vultures vulva wabbits wadis wagged wagoner wagoners
wailing wainscottings waits waived waivers wakefulness wakened walkway walkways walleyed wallpaper
wane waned wanted warbler wardroom warlocks warmly warms warty washables washers washouts wasteful
waster watched waterbeds waterfowl watering waterworks wavy waxing weakening weaning weather
webmaster weeding weightlessness weirdos welfare wells wheelbase whelk whereas wherefore whether
whiner whipped whisk whiskeys whisking whispered whizzed whoop wickedest wicket widespread wiener
wiggled wigglers wiliness wimples winches winger winnow wintering wireless wises wishbone wishers
wishfully wispiest wistful withal withholding wizzes woe wolfed womanize wonderlands woodcock
woodcut woodpecker woodsier wooers woof woofers woofing woolgathering woolliness workhorse works
workstations worldlier worlds worsens worsted worthiest worthwhile wrangles wreckers wretched
wrings wrinklier writers writing wrongdoing wrongful xcii xrefs xxiv xylem yacks yanked yeas yessed
yip yo yodeling yokes young yowled yr yuccas zanies zenith zest zestful zinged zinnias zits
"""
